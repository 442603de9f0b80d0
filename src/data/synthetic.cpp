#include "heed/data/synthetic.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "heed/error.hpp"
#include "heed/tensor/random.hpp"

namespace heed::data {

Dataset make_csbm(const SyntheticOptions& o) {
  auto fail = [](const std::string& what) { throw Error("synthetic graph: " + what); };
  if (o.nodes < 2) fail("nodes must be >= 2, got " + std::to_string(o.nodes));
  if (o.classes < 2) fail("classes must be >= 2, got " + std::to_string(o.classes));
  if (o.features < 1) fail("features must be >= 1, got " + std::to_string(o.features));
  if (!(o.avg_degree >= 0.0)) fail("avg_degree must be >= 0");
  if (!(o.homophily >= 0.0 && o.homophily <= 1.0)) fail("homophily must be in [0, 1]");
  if (o.classes > o.nodes) fail("classes must be at most nodes");
  // Bounds on what the settings (which a checkpoint may carry) make heed
  // allocate: the features, and about avg_degree edges per node.
  if (std::int64_t(o.nodes) * o.features > (std::int64_t(1) << 30)) {
    fail("nodes x features = " + std::to_string(std::int64_t(o.nodes) * o.features) +
         " values, more than 2^30");
  }
  if (!(o.avg_degree <= 10000.0) || double(o.nodes) * o.avg_degree > double(1LL << 32)) {
    fail("nodes x avg_degree must be at most 2^32 edges");
  }
  if (!(o.signal >= 0.0 && o.signal < 1e6)) fail("signal must be in [0, 1e6)");
  if (o.train_per_class < 0 || o.valid < 0 || o.test < 0) {
    fail("train_per_class, valid and test must be >= 0");
  }
  if (std::int64_t(o.classes) * o.train_per_class > o.nodes) {
    fail("train_per_class x classes exceeds the node count");
  }

  Rng rng(o.seed);
  Dataset d;
  d.name = "csbm";
  d.num_classes = o.classes;
  const std::size_t n = std::size_t(o.nodes), c = std::size_t(o.classes);

  d.y.resize(n);
  std::vector<std::vector<NodeId>> members(c);
  for (std::size_t i = 0; i < n; ++i) {
    d.y[i] = std::int32_t(rng.below(c));
    members[std::size_t(d.y[i])].push_back(NodeId(i));
  }
  for (std::size_t k = 0; k < c; ++k) {
    if (members[k].empty()) members[k].push_back(NodeId(rng.below(n)));  // tiny graphs only
  }

  Tensor<float> means(c, std::size_t(o.features));
  for (float& v : means.values()) v = float(rng.normal(0.0, o.signal));
  d.x = Tensor<float>(n, std::size_t(o.features));
  for (std::size_t i = 0; i < n; ++i) {
    auto mu = means.row(std::size_t(d.y[i]));
    auto xi = d.x.row(i);
    for (std::size_t f = 0; f < xi.size(); ++f) xi[f] = mu[f] + float(rng.normal(0.0, 1.0));
  }

  EdgeList edges;
  const int per_node = int(std::lround(o.avg_degree / 2.0));
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < per_node; ++k) {
      std::size_t cls = std::size_t(d.y[i]);
      if (rng.uniform(0.0, 1.0) >= o.homophily) cls = (cls + 1 + rng.below(c - 1)) % c;
      const auto& pool = members[cls];
      NodeId j = pool[rng.below(pool.size())];
      if (j != NodeId(i)) edges.add(NodeId(i), j);
    }
  }
  GraphOptions graph_options;
  graph_options.symmetrise = true;
  graph_options.remove_self_loops = true;
  d.graph = Graph(std::int64_t(n), edges, graph_options);

  std::vector<NodeId> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng.engine());
  Split split;
  std::vector<int> taken(c, 0);
  std::vector<NodeId> rest;
  for (NodeId i : order) {
    int& t = taken[std::size_t(d.y[std::size_t(i)])];
    if (t < o.train_per_class) {
      ++t;
      split.train.push_back(i);
    } else {
      rest.push_back(i);
    }
  }
  // On graphs too small for the requested sizes, a third of what is left
  // validates and the rest tests, so both sets stay non-empty.
  std::size_t nv = std::size_t(std::max(0, o.valid)), nt = std::size_t(std::max(0, o.test));
  if (nv + nt > rest.size()) {
    nv = std::min(nv, rest.size() / 3);
    nt = std::min(nt, rest.size() - nv);
  }
  split.valid.assign(rest.begin(), rest.begin() + std::ptrdiff_t(nv));
  split.test.assign(rest.begin() + std::ptrdiff_t(nv), rest.begin() + std::ptrdiff_t(nv + nt));
  std::sort(split.train.begin(), split.train.end());
  d.splits.emplace("public", std::move(split));
  return d;
}

}  // namespace heed::data
