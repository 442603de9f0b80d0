#include <fstream>
#include <set>

#include "heed/data/safetensors.hpp"
#include "heed/error.hpp"
#include "heed/interop/pyg_model.hpp"
#include "heed/nn/sequential.hpp"
#include "pyg_modules.hpp"

namespace heed::interop {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the model description");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
}

// The modules of model.json, with the model's sizes worked out from them.
nn::ModelSpec spec_of(const nlohmann::json& description, const std::string& where) {
  if (!description.is_object() || !description.contains("layers") ||
      !description["layers"].is_array()) {
    throw Error(where + ": has no list of layers ('layers')");
  }
  nn::ModelSpec spec;
  spec.model = nn::kSequentialModel;
  const nlohmann::json& layers = description["layers"];
  for (std::size_t k = 0; k < layers.size(); ++k) {
    spec.modules.push_back(module_from_pyg(layers[k], where + ": layer " + std::to_string(k)));
  }
  if (spec.modules.empty()) throw Error(where + ": the list of layers is empty");
  int width = 0;
  for (const nn::ModuleSpec& m : spec.modules) {
    if (width == 0 && m.layer.in_channels > 0) spec.in_channels = width = m.layer.in_channels;
    if (width > 0) width = m.out_width(width);
    spec.edge_dim = std::max(spec.edge_dim, m.layer.edge_dim);
  }
  if (width == 0) throw Error(where + ": no layer says how many features the model takes");
  spec.out_channels = width;
  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return spec;
}

// What the checkpoint records of where the model came from, and the
// dataset model.json names, if any.
nlohmann::json metadata_of(const nlohmann::json& description, const std::filesystem::path& dir) {
  nlohmann::json imported = {{"folder", dir.string()}};
  for (const char* key : {"framework", "version", "torch"}) {
    if (description.contains(key) && description[key].is_string()) imported[key] = description[key];
  }
  nlohmann::json m = {{"imported_from", imported}};
  if (description.contains("input") && description["input"].is_object()) {
    const nlohmann::json& input = description["input"];
    if (input.contains("dataset") && input["dataset"].is_string()) {
      const std::string features =
          input.contains("features") && input["features"].is_string() ? input["features"] : "";
      const bool normalised =
          features.rfind("row-normalised", 0) == 0 || features.rfind("row-normalized", 0) == 0;
      m["dataset"] = input["dataset"];
      m["source"] = {{"data", input["dataset"]}, {"normalise_features", normalised}};
    }
  }
  return m;
}

}  // namespace

train::Checkpoint import_pyg(const std::filesystem::path& dir) {
  const std::filesystem::path json_path = dir / "model.json";
  const std::filesystem::path weights_path = dir / "model.safetensors";
  const nlohmann::json description = read_json(json_path);
  const nn::ModelSpec spec = spec_of(description, json_path.string());
  const data::SafetensorsFile weights = data::load_safetensors(weights_path);
  const std::string file = weights_path.string();

  Rng rng(0);  // every parameter is overwritten below
  nn::Sequential<float> model(spec, rng);
  std::set<std::string> used;
  for (std::size_t k = 0; k < spec.modules.size(); ++k) {
    const nn::ModuleSpec& m = spec.modules[k];
    const std::vector<Parameter<float>*> params = model.module_parameters(k);
    if (params.empty()) continue;
    if (m.name.empty()) {
      throw Error(json_path.string() + ": layer " + std::to_string(k) +
                  " has no name, so its tensors cannot be found in the state_dict");
    }
    const ModuleTensors names = module_tensors(m);
    for (Parameter<float>* p : params) {
      const auto entry = std::find_if(names.tensors.begin(), names.tensors.end(),
                                      [&](const TensorName& t) { return t.heed == p->name; });
      if (entry == names.tensors.end()) {
        throw Error("PyG import: heed's " + m.kind + " parameter '" + p->name +
                    "' has no PyG name (a gap in heed's table)");
      }
      const std::string key = m.name + "." + entry->pyg;
      p->value = from_pyg(weights.at(key, file), entry->layout, m, p->value.rows(), p->value.cols(),
                          file + ": tensor '" + key + "'");
      used.insert(key);
    }
    // A shared Linear is listed twice; both copies must agree.
    for (const auto& [alias, original] : names.aliases) {
      const std::string key = m.name + "." + alias, of = m.name + "." + original;
      auto it = weights.tensors.find(key);
      if (it == weights.tensors.end()) continue;
      if (!used.count(of) || it->second.to_floats(file) != weights.at(of, file).to_floats(file)) {
        throw Error(file + ": tensor '" + key + "' differs from '" + of + "': separate source " +
                    "and destination weights (a bipartite " + m.kind + ") are not supported");
      }
      used.insert(key);
    }
  }
  std::string unused;
  for (const auto& entry : weights.tensors) {
    if (!used.count(entry.first)) unused += (unused.empty() ? "" : ", ") + entry.first;
  }
  if (!unused.empty()) {
    throw Error(file + ": tensors that no layer of model.json uses: " + unused +
                " (as load_state_dict(strict=True), heed refuses to drop them)");
  }
  return train::make_checkpoint(model, metadata_of(description, dir).dump());
}

}  // namespace heed::interop
