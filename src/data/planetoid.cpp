#include "heed/data/planetoid.hpp"

#include <algorithm>
#include <fstream>

#include "heed/data/numpy_array.hpp"
#include "heed/data/python_pickle.hpp"
#include "heed/error.hpp"

namespace heed::data {
namespace fs = std::filesystem;
namespace {

using pickle::Value;
using K = Value::Kind;

struct Rows {
  std::size_t rows = 0, cols = 0;
  std::vector<float> values;  // row-major
};

Rows feature_rows(const fs::path& path) {
  const pickle::Pickle p = pickle::read_pickle_file(path);
  const SparseRows m = scipy_csr_matrix(p.root(), path.string());
  Rows out{m.rows, m.cols, std::vector<float>(m.rows * m.cols, 0.0f)};
  for (std::size_t r = 0; r < m.rows; ++r) {
    for (auto k = m.indptr[r]; k < m.indptr[r + 1]; ++k) {
      out.values[r * m.cols + std::size_t(m.indices[std::size_t(k)])] +=
          float(m.data[std::size_t(k)]);
    }
  }
  return out;
}

// One-hot rows to classes: the first largest entry, as numpy's argmax.
std::vector<std::int64_t> label_rows(const fs::path& path, std::size_t& classes) {
  const pickle::Pickle p = pickle::read_pickle_file(path);
  const NumpyArray a = numpy_array(p.root(), path.string());
  if (a.shape.size() != 2 || a.shape[1] == 0) {
    throw Error(path.string() + ": expected a two-dimensional array of one-hot label rows");
  }
  if (classes && classes != a.shape[1]) {
    throw Error(path.string() + ": " + std::to_string(a.shape[1]) + " label columns, where the " +
                "other label files have " + std::to_string(classes));
  }
  classes = a.shape[1];
  std::vector<std::int64_t> labels(a.shape[0]);
  for (std::size_t r = 0; r < a.shape[0]; ++r) {
    const double* row = a.values.data() + r * classes;
    labels[r] = std::max_element(row, row + classes) - row;
  }
  return labels;
}

std::vector<std::int64_t> test_index(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the test index");
  std::vector<std::int64_t> ids;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(line, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != line.size() || v < 0) {
      throw Error(path.string() + ":" + std::to_string(n) + ": \"" + line +
                  "\" is not a node id (a whole number >= 0)");
    }
    ids.push_back(v);
  }
  if (ids.empty()) throw Error(path.string() + ": no test node ids");
  return ids;
}

std::vector<std::pair<std::int64_t, std::int64_t>> graph_edges(const fs::path& path,
                                                               std::size_t num_nodes) {
  const pickle::Pickle p = pickle::read_pickle_file(path);
  const Value& graph = p.root();
  if (graph.kind != K::dict && graph.kind != K::object) {
    throw Error(path.string() + ": expected a dict of adjacency lists, found " + describe(graph));
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> edges;
  auto node = [&](const Value& v, const char* role) {
    if (v.kind != K::integer || v.integer < 0 || std::size_t(v.integer) >= num_nodes) {
      throw Error(path.string() + ": " + role + " " +
                  (v.kind == K::integer ? std::to_string(v.integer) : describe(v)) +
                  " is not a node id below " + std::to_string(num_nodes));
    }
    return v.integer;
  };
  for (std::size_t k = 0; k + 1 < graph.items.size(); k += 2) {
    const std::int64_t src = node(*graph.items[k], "key");
    const Value& neighbours = *graph.items[k + 1];
    if (neighbours.kind != K::list && neighbours.kind != K::tuple) {
      throw Error(path.string() + ": node " + std::to_string(src) + "'s neighbours are " +
                  describe(neighbours) + ", not a list");
    }
    for (const Value* n : neighbours.items) {
      const std::int64_t dst = node(*n, "neighbour");
      if (dst != src) edges.emplace_back(src, dst);
    }
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  return edges;
}

}  // namespace

NodeDatasetFiles read_planetoid(const fs::path& folder, const std::string& name) {
  auto file = [&](const std::string& part) { return folder / ("ind." + name + "." + part); };
  const Rows x = feature_rows(file("x"));
  const Rows allx = feature_rows(file("allx"));
  const Rows tx = feature_rows(file("tx"));
  std::size_t classes = 0;
  const std::vector<std::int64_t> y = label_rows(file("y"), classes);
  const std::vector<std::int64_t> ally = label_rows(file("ally"), classes);
  const std::vector<std::int64_t> ty = label_rows(file("ty"), classes);
  const std::vector<std::int64_t> test = test_index(file("test.index"));

  const std::size_t f = allx.cols;
  if (x.cols != f || tx.cols != f) {
    throw Error(file("x").string() + ": x, allx and tx differ in their number of features (" +
                std::to_string(x.cols) + ", " + std::to_string(f) + ", " + std::to_string(tx.cols) +
                ")");
  }
  if (x.rows != y.size() || allx.rows != ally.size() || tx.rows != ty.size()) {
    throw Error(folder.string() + ": feature and label files of " + name +
                " differ in their number of rows");
  }
  if (y.size() + 500 > allx.rows) {
    throw Error(file("allx").string() + ": " + std::to_string(allx.rows) +
                " rows, too few for the public split's " + std::to_string(y.size()) +
                " training and 500 validation nodes");
  }
  std::vector<std::int64_t> sorted_test = test;
  std::sort(sorted_test.begin(), sorted_test.end());
  if (std::adjacent_find(sorted_test.begin(), sorted_test.end()) != sorted_test.end()) {
    throw Error(file("test.index").string() + ": a node id appears twice");
  }
  if (sorted_test.size() != tx.rows) {
    throw Error(file("test.index").string() + ": " + std::to_string(sorted_test.size()) +
                " test nodes, but tx has " + std::to_string(tx.rows) + " rows");
  }
  const std::int64_t first = sorted_test.front(), last = sorted_test.back();
  if (std::size_t(first) < allx.rows) {
    throw Error(file("test.index").string() + ": test node " + std::to_string(first) +
                " is among allx's " + std::to_string(allx.rows) + " rows");
  }
  if (std::size_t(first) > allx.rows) {
    throw Error(file("test.index").string() + ": the test nodes start at " + std::to_string(first) +
                ", leaving nodes " + std::to_string(allx.rows) + " onwards without features");
  }
  // PyG places tx in [first, last] by sorted id (CiteSeer's gaps stay zero)
  // and then gives x[test[i]] the row at sorted[i]: together, node test[i]
  // gets tx row i and ty row i, and a gap keeps zero features and no label.
  const std::size_t n = std::size_t(last) + 1;
  NodeDatasetFiles d;
  d.name = name;
  d.num_nodes = n;
  d.num_features = f;
  d.num_classes = int(classes);
  d.features.assign(n * f, 0.0f);
  d.labels.assign(n, -1);
  std::copy(allx.values.begin(), allx.values.end(), d.features.begin());
  std::copy(ally.begin(), ally.end(), d.labels.begin());
  for (std::size_t i = 0; i < tx.rows; ++i) {
    const std::size_t to = std::size_t(test[i]);
    std::copy_n(tx.values.begin() + std::ptrdiff_t(i * f), f,
                d.features.begin() + std::ptrdiff_t(to * f));
    d.labels[to] = ty[i];
  }
  d.edges = graph_edges(file("graph"), n);

  NodeDatasetFiles::Split split;
  for (std::size_t i = 0; i < y.size(); ++i) split.train.push_back(std::int64_t(i));
  for (std::size_t i = y.size(); i < y.size() + 500; ++i) split.valid.push_back(std::int64_t(i));
  split.test = sorted_test;
  d.splits["public"] = split;
  d.source = "Planetoid files ind." + name + ".* (Yang, Cohen, Salakhutdinov, ICML 2016)";
  d.license = "Planetoid repository: MIT; cite Yang, Cohen, Salakhutdinov, ICML 2016";
  return d;
}

}  // namespace heed::data
