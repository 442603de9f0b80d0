// heed.Dataset: a graph, its node features, labels and splits, loaded from
// a folder, generated, or made from numpy arrays. x and y are views of
// heed's own memory (read-only; they keep the dataset alive).
#include <memory>

#include "array_views.hpp"
#include "dataset_handle.hpp"
#include "heed/data/dataset_source.hpp"

namespace heed::python {
namespace {

py::array_t<std::int64_t> index_array(const std::vector<NodeId>& v) {
  auto a = new_array<std::int64_t>({std::int64_t(v.size())});
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

std::vector<NodeId> node_list(const py::handle& h, std::int64_t n, const std::string& name) {
  const py::array a = py::array::ensure(h);
  if (!a) throw py::value_error(name + " must be an array of node ids");
  const auto v = read_view<std::int64_t>(a, name.c_str(), {-1});
  std::vector<NodeId> out(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k] < 0 || v[k] >= n) {
      throw py::value_error(name + "[" + std::to_string(k) + "] = " + std::to_string(v[k]) +
                            " is not a node id (0 to " + std::to_string(n - 1) + ")");
    }
    out[k] = NodeId(v[k]);
  }
  return out;
}

DatasetHandle from_arrays(const py::array& x, const py::array& edge_index, const py::array& y,
                          std::optional<int> num_classes, const py::dict& splits,
                          const std::string& name) {
  if (x.ndim() != 2)
    throw py::value_error("x must be 2-D (nodes x features), got " + shape_text(x));
  const std::int64_t n = x.shape(0), f = x.shape(1);
  const auto xv = read_view<float>(x, "x", {n, f});
  const auto ev = read_view<std::int64_t>(edge_index, "edge_index", {2, -1});
  const auto yv = read_view<std::int32_t>(y, "y", {n});
  auto d = std::make_shared<data::Dataset>();
  d->name = name;
  d->x = Tensor<float>(std::size_t(n), std::size_t(f));
  std::copy(xv.begin(), xv.end(), d->x.data());
  d->y.assign(yv.begin(), yv.end());
  int largest = -1;
  for (std::size_t k = 0; k < yv.size(); ++k) {
    if (yv[k] < -1) {
      throw py::value_error("y[" + std::to_string(k) + "] = " + std::to_string(yv[k]) +
                            " (labels are 0 .. C-1, or -1 for none)");
    }
    largest = std::max(largest, int(yv[k]));
  }
  d->num_classes = num_classes.value_or(largest + 1);
  if (d->num_classes <= largest) {
    throw py::value_error("num_classes is " + std::to_string(d->num_classes) +
                          ", but y holds label " + std::to_string(largest));
  }
  const std::size_t e = ev.size() / 2;
  EdgeList edges;
  edges.src.resize(e);
  edges.dst.resize(e);
  for (std::size_t k = 0; k < e; ++k) {
    for (const std::int64_t v : {ev[k], ev[e + k]}) {
      if (v < 0 || v >= n) {
        throw py::value_error("edge_index[:, " + std::to_string(k) + "] names node " +
                              std::to_string(v) + ", outside [0, " + std::to_string(n) + ")");
      }
    }
    edges.src[k] = NodeId(ev[k]);
    edges.dst[k] = NodeId(ev[e + k]);
  }
  d->graph = Graph(n, edges);
  for (const auto& [key, parts] : splits) {
    const std::string split = py::str(key);
    const py::dict p = py::reinterpret_borrow<py::dict>(parts);
    data::Split s;
    const std::pair<const char*, std::vector<NodeId>*> targets[] = {
        {"train", &s.train}, {"valid", &s.valid}, {"test", &s.test}};
    for (const auto& [part, target] : targets) {
      if (p.contains(part)) *target = node_list(p[part], n, split + "['" + part + "']");
    }
    d->splits[split] = std::move(s);
  }
  return DatasetHandle{std::move(d), std::nullopt};
}

}  // namespace

void bind_datasets(py::module_& m) {
  py::class_<DatasetHandle>(m, "Dataset", "A graph with node features, labels and splits")
      .def(py::init(&from_arrays), py::arg("x"), py::arg("edge_index"), py::arg("y"),
           py::arg("num_classes") = py::none(), py::arg("splits") = py::dict(),
           py::arg("name") = "arrays",
           "From numpy arrays: x (N x F float32), edge_index (2 x E int64), y (N int32, -1 "
           "unlabelled), splits {'public': {'train': ids, 'valid': ids, 'test': ids}}")
      .def_property_readonly(
          "name", [](const DatasetHandle& d) { return d.dataset->name; }, "The dataset's name")
      .def_property_readonly(
          "num_nodes", [](const DatasetHandle& d) { return d.dataset->num_nodes(); }, "Nodes")
      .def_property_readonly(
          "num_edges", [](const DatasetHandle& d) { return d.dataset->graph.num_edges(); },
          "Edges as stored (no self loops added)")
      .def_property_readonly(
          "num_features", [](const DatasetHandle& d) { return d.dataset->num_features(); },
          "Features per node")
      .def_property_readonly(
          "num_classes", [](const DatasetHandle& d) { return d.dataset->num_classes; }, "Classes")
      .def_property_readonly(
          "x",
          [](py::object self) {
            const data::Dataset& d = *self.cast<const DatasetHandle&>().dataset;
            py::array_t<float> a({py::ssize_t(d.x.rows()), py::ssize_t(d.x.cols())}, d.x.data(),
                                 self);
            a.attr("setflags")(py::arg("write") = false);
            return a;
          },
          "Node features (N x F float32), a read-only view")
      .def_property_readonly(
          "y",
          [](py::object self) {
            const data::Dataset& d = *self.cast<const DatasetHandle&>().dataset;
            py::array_t<std::int32_t> a({py::ssize_t(d.y.size())}, d.y.data(), self);
            a.attr("setflags")(py::arg("write") = false);
            return a;
          },
          "Labels (N int32, -1 unlabelled), a read-only view")
      .def_property_readonly(
          "edge_index", [](const DatasetHandle& d) { return edge_index_array(d.dataset->graph); },
          "The edges (2 x E int64, sources then destinations), sorted by destination")
      .def(
          "split",
          [](const DatasetHandle& d, const std::string& name) {
            const data::Split& s = d.dataset->split(name);
            py::dict out;
            out["train"] = index_array(s.train);
            out["valid"] = index_array(s.valid);
            out["test"] = index_array(s.test);
            return out;
          },
          py::arg("name") = "public", "The split's node ids: {'train', 'valid', 'test'}")
      .def_property_readonly(
          "splits",
          [](const DatasetHandle& d) {
            py::list names;
            for (const auto& entry : d.dataset->splits) names.append(entry.first);
            return names;
          },
          "The names of the dataset's splits")
      .def("__repr__", [](const DatasetHandle& d) {
        return "<heed.Dataset " + d.dataset->name + ": " + std::to_string(d.dataset->num_nodes()) +
               " nodes, " + std::to_string(d.dataset->graph.num_edges()) + " edges, " +
               std::to_string(d.dataset->num_features()) + " features, " +
               std::to_string(d.dataset->num_classes) + " classes>";
      });

  m.def(
      "load_dataset",
      [](const std::string& name, bool normalise_features) {
        data::DatasetSource s;
        s.data = name;
        s.normalise_features = normalise_features;
        return DatasetHandle{std::make_shared<data::Dataset>(data::load(s)), s};
      },
      py::arg("name"), py::arg("normalise_features") = true,
      "A dataset folder or name (looked up in $HEED_DATA or ~/.cache/heed, where heed data "
      "download puts it, then in ../shared/data)");
  m.def(
      "synthetic",
      [](int nodes, int classes, int features, double avg_degree, double homophily, double signal,
         std::uint64_t seed) {
        data::DatasetSource s;
        s.synthetic = {.nodes = nodes,
                       .classes = classes,
                       .features = features,
                       .avg_degree = avg_degree,
                       .homophily = homophily,
                       .signal = signal,
                       .seed = seed};
        return DatasetHandle{std::make_shared<data::Dataset>(data::load(s)), s};
      },
      py::arg("nodes") = 3000, py::arg("classes") = 5, py::arg("features") = 32,
      py::arg("avg_degree") = 8.0, py::arg("homophily") = 0.8, py::arg("signal") = 0.25,
      py::arg("seed") = 0, "heed's synthetic graph (a contextual SBM), as heed train makes it");
}

}  // namespace heed::python
