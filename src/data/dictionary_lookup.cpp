#include "heed/data/dictionary_lookup.hpp"

#include <numeric>
#include <string>

#include "heed/error.hpp"
#include "heed/tensor/random.hpp"

namespace heed::data {

Dataset dictionary_lookup(const DictionaryLookupOptions& o) {
  if (o.keys < 2 || o.keys > 100000) {
    throw Error("dictionary lookup: keys must be in [2, 100000], got " + std::to_string(o.keys));
  }
  if (o.graphs < 1 || std::int64_t(o.graphs) * o.keys * 2 > (std::int64_t(1) << 31) - 1) {
    throw Error("dictionary lookup: graphs must be >= 1 and the graph under 2^31 nodes, got " +
                std::to_string(o.graphs));
  }
  if (!(o.train_share > 0.0 && o.train_share <= 1.0)) {
    throw Error("dictionary lookup: train_share must be in (0, 1]");
  }
  const std::int64_t k = o.keys, per_graph = 2 * k, n = per_graph * o.graphs;
  Dataset d;
  d.name = "dictionary-lookup-k" + std::to_string(k);
  d.num_classes = int(k);
  d.x = Tensor<float>(std::size_t(n), std::size_t(2 * k));
  d.y.assign(std::size_t(n), -1);
  Split split;
  EdgeList edges;
  Rng rng(o.seed);
  const int train_graphs = std::max(1, int(o.train_share * o.graphs));
  std::vector<int> value(static_cast<std::size_t>(k)), order(static_cast<std::size_t>(k));
  for (int g = 0; g < o.graphs; ++g) {
    const std::int64_t base = g * per_graph;
    std::iota(value.begin(), value.end(), 0);
    std::iota(order.begin(), order.end(), 0);
    // Fisher-Yates from heed's seeded generator: the same graph on every platform.
    for (std::int64_t i = k - 1; i > 0; --i) {
      std::swap(value[std::size_t(i)], value[std::size_t(rng.below(std::uint64_t(i + 1)))]);
      std::swap(order[std::size_t(i)], order[std::size_t(rng.below(std::uint64_t(i + 1)))]);
    }
    for (std::int64_t i = 0; i < k; ++i) {
      const std::size_t key = std::size_t(base + i);
      d.x(key, std::size_t(i)) = 1;
      d.x(key, std::size_t(k + value[std::size_t(i)])) = 1;
      // Queries come in a shuffled order, so position says nothing.
      const std::size_t query = std::size_t(base + k + i);
      const int attribute = order[std::size_t(i)];
      d.x(query, std::size_t(attribute)) = 1;
      d.y[query] = value[std::size_t(attribute)];
      (g < train_graphs ? split.train : split.test).push_back(NodeId(query));
      for (std::int64_t j = 0; j < k; ++j) edges.add(NodeId(base + j), NodeId(query));
    }
  }
  d.graph = Graph(n, edges);
  d.splits["public"] = std::move(split);
  return d;
}

}  // namespace heed::data
