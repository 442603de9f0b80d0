// heed.Model: the models `heed train` builds (any registered conv stacked,
// the transformer, or a sequential model), trained by the same loop, with
// predictions, attention, checkpoints and PyG folders.
#include <nlohmann/json.hpp>

#include "array_views.hpp"
#include "dataset_handle.hpp"
#include "heed/interop/pyg_model.hpp"
#include "heed/nn/model.hpp"
#include "heed/train/checkpoint.hpp"
#include "heed/train/run_settings.hpp"

namespace heed::python {
namespace {

py::object json_to_python(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

nlohmann::json python_to_json(const py::handle& h) {
  return nlohmann::json::parse(std::string(py::str(py::module_::import("json").attr("dumps")(h))));
}

struct ModelHandle {
  std::unique_ptr<nn::Model<float>> model;
  std::uint64_t seed = 0;
  Rng rng{0};
  std::string metadata = "{}";

  static ModelHandle of(const train::Checkpoint& c, const std::string& context) {
    ModelHandle h;
    h.model = train::restore_model(c, context);
    h.metadata = c.metadata;
    return h;
  }
};

// The spec of `model` with the paper's settings, then the caller's.
nn::ModelSpec spec_of(const std::string& model, int in_channels, int out_channels,
                      const py::dict& settings) {
  nn::ModelSpec s;
  s.model = model;
  const nn::PaperDefaults d = nn::paper_defaults(model);  // heed::Error for unknown models
  s.hidden_channels = d.hidden_channels;
  s.dropout = s.attention_dropout = d.dropout;
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  nlohmann::json j = s;
  for (const auto& [key, value] : settings) {
    const std::string name = py::str(key);
    if (!j.contains(name)) {
      std::string names;
      for (const auto& item : j.items()) names += (names.empty() ? "" : ", ") + item.key();
      throw py::type_error("unknown model setting '" + name + "' (settings: " + names + ")");
    }
    j[name] = python_to_json(value);
    // The attention dropout follows the dropout unless given itself.
    if (name == "dropout" && !settings.contains("attention_dropout"))
      j["attention_dropout"] = j[name];
  }
  return nn::model_spec_from_json(j, "heed.Model");
}

struct Input {
  Tensor<float> x;
  Graph graph;
};

Input input_of(const ModelHandle& h, const py::object& data, const py::object& edge_index) {
  Input in;
  if (py::isinstance<DatasetHandle>(data)) {
    const data::Dataset& d = *data.cast<const DatasetHandle&>().dataset;
    in.x = d.x;
    in.graph = nn::model_input_graph(h.model->spec(), d.graph);
    return in;
  }
  const py::array x = py::array::ensure(data);
  if (!x || x.ndim() != 2)
    throw py::value_error("x must be a 2-D float32 array (nodes x features)");
  const auto xv = read_view<float>(x, "x", {x.shape(0), x.shape(1)});
  if (edge_index.is_none()) throw py::value_error("pass edge_index with x, or a heed.Dataset");
  const auto ev = read_view<std::int64_t>(py::array::ensure(edge_index), "edge_index", {2, -1});
  const std::int64_t n = x.shape(0);
  const std::size_t e = ev.size() / 2;
  EdgeList edges;
  for (std::size_t k = 0; k < e; ++k) {
    if (ev[k] < 0 || ev[k] >= n || ev[e + k] < 0 || ev[e + k] >= n) {
      throw py::value_error("edge_index[:, " + std::to_string(k) + "] names a node outside [0, " +
                            std::to_string(n) + ")");
    }
    edges.add(NodeId(ev[k]), NodeId(ev[e + k]));
  }
  in.x = Tensor<float>(std::size_t(n), std::size_t(x.shape(1)));
  std::copy(xv.begin(), xv.end(), in.x.data());
  in.graph = nn::model_input_graph(h.model->spec(), Graph(n, edges));
  return in;
}

py::array_t<float> to_numpy(const Tensor<float>& t) {
  auto a = new_array<float>({std::int64_t(t.rows()), std::int64_t(t.cols())});
  std::copy(t.values().begin(), t.values().end(), a.mutable_data());
  return a;
}

Tensor<float> run(ModelHandle& h, const Input& in, std::vector<nn::Attention<float>>* attention) {
  if (std::int64_t(in.x.cols()) != h.model->spec().in_channels) {
    throw py::value_error("the model takes " + std::to_string(h.model->spec().in_channels) +
                          " features, x has " + std::to_string(in.x.cols()));
  }
  py::gil_scoped_release release;
  Tape<float> tape(Tape<float>::Gradients::kOff);
  const nn::NodeFeatures<float> features(in.x);
  return h.model
      ->forward(tape, features, in.graph, nn::ForwardContext{false, 0}, {.attention = attention})
      .value();
}

py::dict fit(ModelHandle& h, const DatasetHandle& data, std::optional<double> lr,
             double weight_decay, std::optional<int> max_epochs, int patience,
             const std::string& split, const std::string& select) {
  const nn::PaperDefaults d = nn::paper_defaults(h.model->spec().model);
  train::TrainOptions o;
  o.adam.lr = lr.value_or(d.lr);
  o.adam.weight_decay = weight_decay;
  o.max_epochs = max_epochs.value_or(d.max_epochs);
  o.patience = patience;
  o.split = split;
  o.select = select;
  train::FitResult r;
  {
    py::gil_scoped_release release;
    r = train::fit(*h.model, *data.dataset, o, h.rng);
  }
  if (data.source) {
    h.metadata = train::model_metadata({*data.source, h.seed, o, 0}, data.dataset->name, r);
  } else {
    h.metadata = nlohmann::json{{"dataset", data.dataset->name}}.dump();
  }
  py::dict out;
  out["epochs"] = r.epochs_run;
  out["best_epoch"] = r.best_epoch;
  out["val_loss"] = r.val_loss;
  out["val_accuracy"] = r.val_accuracy;
  out["test_accuracy"] = r.test_accuracy;
  out["seconds"] = r.seconds;
  out["metrics"] = json_to_python(r.metrics);
  return out;
}

}  // namespace

void bind_models(py::module_& m) {
  py::class_<ModelHandle>(m, "Model",
                          "A heed model: a stack of a registered conv, the "
                          "transformer, or a sequential model")
      .def(py::init([](const std::string& model, int in_channels, int out_channels,
                       std::uint64_t seed, const py::kwargs& settings) {
             ModelHandle h;
             const nn::ModelSpec spec = spec_of(model, in_channels, out_channels, settings);
             h.seed = seed;
             h.rng = Rng(seed);
             h.model = nn::make_model<float>(spec, h.rng);
             return h;
           }),
           py::arg("model"), py::arg("in_channels"), py::arg("out_channels"), py::arg("seed") = 0,
           "Model(model, in_channels, out_channels, seed=0, **settings): builds the model as "
           "heed train --model does, initialised from `seed`. Any ModelSpec setting by name "
           "(hidden_channels, heads, output_heads, layers, dropout, attention_dropout, residual, "
           "norm, conv_options, ...); the model's paper settings fill in the rest.")
      .def_property_readonly(
          "spec",
          [](const ModelHandle& h) { return json_to_python(nlohmann::json(h.model->spec())); },
          "The model's settings (ModelSpec) as a dict")
      .def_property_readonly(
          "metadata",
          [](const ModelHandle& h) { return json_to_python(nlohmann::json::parse(h.metadata)); })
      .def("fit", &fit, py::arg("dataset"), py::arg("lr") = py::none(),
           py::arg("weight_decay") = 5e-4, py::arg("max_epochs") = py::none(),
           py::arg("patience") = 100, py::arg("split") = "public", py::arg("select") = "paper",
           "Trains full-batch as heed train does (Adam, early stopping, the kept epoch); "
           "returns its figures and every metric of every part")
      .def(
          "predict",
          [](ModelHandle& h, const py::object& data, const py::object& edge_index) {
            return to_numpy(run(h, input_of(h, data, edge_index), nullptr));
          },
          py::arg("data"), py::arg("edge_index") = py::none(),
          "Eval-mode outputs (logits, N x out_channels) for a Dataset, or for x and edge_index")
      .def(
          "attention",
          [](ModelHandle& h, const py::object& data, const py::object& edge_index) {
            std::vector<nn::Attention<float>> layers;
            run(h, input_of(h, data, edge_index), &layers);
            py::list out;
            for (const nn::Attention<float>& a : layers) {
              out.append(py::make_tuple(edge_index_array(a.graph), to_numpy(a.alpha)));
            }
            return out;
          },
          py::arg("data"), py::arg("edge_index") = py::none(),
          "Each attention layer's coefficients: (edge_index 2 x E, alpha E x heads), self "
          "loops included")
      .def(
          "parameters",
          [](ModelHandle& h) {
            py::list out;
            for (Parameter<float>* p : h.model->parameters()) {
              out.append(py::make_tuple(p->name, to_numpy(p->value)));
            }
            return out;
          },
          "(name, array) of every parameter, in order (copies)")
      .def(
          "save",
          [](ModelHandle& h, const std::string& path) {
            train::save_checkpoint(path, train::make_checkpoint(*h.model, h.metadata));
          },
          py::arg("path"), "Writes a checkpoint heed's CLI reads (heed eval, predict, attention)")
      .def(
          "export_pyg",
          [](ModelHandle& h, const std::string& dir) {
            interop::export_pyg(train::make_checkpoint(*h.model, h.metadata), dir);
          },
          py::arg("dir"), "Writes DIR/model.json and DIR/model.safetensors for PyG")
      .def("__repr__", [](const ModelHandle& h) {
        const nn::ModelSpec& s = h.model->spec();
        return "<heed.Model " + s.model + ": " + std::to_string(s.in_channels) + " -> " +
               std::to_string(s.out_channels) + ">";
      });

  m.def(
      "load",
      [](const std::string& path) { return ModelHandle::of(train::load_checkpoint(path), path); },
      py::arg("path"), "A checkpoint written by heed train --save or Model.save");
  m.def(
      "import_pyg",
      [](const std::string& dir) { return ModelHandle::of(interop::import_pyg(dir), dir); },
      py::arg("dir"), "A PyG model folder (model.json and model.safetensors)");
  m.def("model_names", &nn::model_names, "Every model name heed.Model builds from scratch");
}

}  // namespace heed::python
