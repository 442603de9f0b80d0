#include "heed/data/atomic_file.hpp"
#include "heed/data/safetensors.hpp"
#include "heed/error.hpp"
#include "heed/interop/pyg_model.hpp"
#include "heed/nn/gnn_stack.hpp"
#include "heed/nn/sequential.hpp"
#include "heed/train/run_settings.hpp"
#include "pyg_modules.hpp"

namespace heed::interop {
namespace {

// A stack as the modules PyG's examples write: dropout before each conv
// (PyG has no per-head dropout; both act in training only) and the stack's
// activation between convs.
nn::ModelSpec as_sequential(const nn::ModelSpec& spec) {
  if (spec.is_sequential()) return spec;
  const auto refuse = [&](const std::string& why) -> nn::ModelSpec {
    throw Error("PyG export: a " + spec.model + " model " + why);
  };
  if (spec.is_transformer()) return refuse("has no PyG module list heed writes");
  if (spec.model != "gat" && spec.model != "gatv2" && spec.model != "gcn") {
    return refuse("has no PyG counterpart heed writes (GATConv, GATv2Conv and GCNConv stacks)");
  }
  if (spec.residual) return refuse("with residual connections is not a plain PyG module list");
  if (spec.norm != nn::Normalisation::kNone) {
    return refuse("with normalisation between layers is not a plain PyG module list");
  }
  const nn::ConvTraits& traits = nn::conv_info(spec.model).traits;
  nn::ModelSpec out;
  out.model = nn::kSequentialModel;
  out.in_channels = spec.in_channels;
  out.out_channels = spec.out_channels;
  out.edge_dim = spec.edge_dim;
  for (int l = 0; l < spec.layers; ++l) {
    const std::string n = std::to_string(l + 1);
    if (spec.dropout > 0) {
      nn::ModuleSpec drop{"dropout", "dropout" + n, {}};
      drop.layer.dropout = spec.dropout;
      out.modules.push_back(drop);
    }
    nn::ModuleSpec conv{spec.model, "conv" + n, nn::stack_layer(spec, l)};
    conv.layer.feature_dropout = 0;
    out.modules.push_back(conv);
    if (l + 1 < spec.layers) {
      out.modules.push_back(
          {traits.activation == nn::Activation::kELU ? "elu" : "relu", "act" + n, {}});
    }
  }
  return out;
}

}  // namespace

void export_pyg(const train::Checkpoint& checkpoint, const std::filesystem::path& dir) {
  const nn::ModelSpec spec = as_sequential(checkpoint.spec);
  Rng rng(0);
  nn::Sequential<float> model(spec, rng);
  // The stack's parameters are its convs', in order: the same list.
  const std::vector<Parameter<float>*> params = model.parameters();
  if (params.size() != checkpoint.parameters.size()) {
    throw Error("PyG export: the checkpoint holds " + std::to_string(checkpoint.parameters.size()) +
                " parameters, its PyG form " + std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& [name, value] = checkpoint.parameters[i];
    if (name != params[i]->name || !value.same_shape(params[i]->value)) {
      throw Error("PyG export: parameter " + std::to_string(i) + " ('" + name +
                  "') does not fit its PyG form ('" + params[i]->name + "')");
    }
    params[i]->value = value;
  }

  data::SafetensorsFile weights;
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t k = 0; k < spec.modules.size(); ++k) {
    const nn::ModuleSpec& m = spec.modules[k];
    layers.push_back(module_to_pyg(m));
    const ModuleTensors names = module_tensors(m);
    for (Parameter<float>* p : model.module_parameters(k)) {
      for (const TensorName& t : names.tensors) {
        if (t.heed == p->name)
          weights.tensors[m.name + "." + t.pyg] = to_pyg(p->value, t.layout, m);
      }
    }
    for (const auto& [alias, original] : names.aliases) {
      auto it = weights.tensors.find(m.name + "." + original);
      if (it != weights.tensors.end()) weights.tensors[m.name + "." + alias] = it->second;
    }
    for (const auto& [name, length] : names.zeros) {
      const std::vector<float> zeros(std::size_t(length), 0.0f);
      weights.tensors[m.name + "." + name] = data::SafeTensor::from_floats(zeros, {length});
      // A shared projection's alias repeats its zero bias too.
      for (const auto& [alias, original] : names.aliases) {
        if (original == name)
          weights.tensors[m.name + "." + alias] = weights.tensors[m.name + "." + name];
      }
    }
  }
  weights.metadata["format"] = "pt";

  nlohmann::json description = {{"framework", "heed"}, {"layers", layers}};
  std::string flow;
  for (const nn::ModuleSpec& m : spec.modules) {
    flow += (flow.empty() ? "" : " -> ") + module_to_pyg(m)["cls"].get<std::string>();
  }
  description["model"] = flow + "; logits = the last layer's output";
  if (const auto source = train::saved_source(checkpoint, "checkpoint"); source && source->data) {
    description["input"] = {
        {"dataset", *source->data},
        {"features", source->normalise_features ? "row-normalised (each row divided by its sum, "
                                                  "rows of zeros kept)"
                                                : "raw"}};
  }

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the folder: " + ec.message());
  data::save_safetensors(dir / "model.safetensors", weights);
  data::write_file_atomically(dir / "model.json", description.dump(2) + "\n");
}

}  // namespace heed::interop
