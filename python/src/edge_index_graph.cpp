#include "edge_index_graph.hpp"

#include <limits>
#include <string>

#include "heed/error.hpp"

namespace heed::python {

EdgeIndexGraph::EdgeIndexGraph(std::span<const std::int64_t> in_src,
                               std::span<const std::int64_t> in_dst, std::int64_t n,
                               bool add_self_loops) {
  if (n < 0 || n > std::int64_t(std::numeric_limits<NodeId>::max())) {
    throw Error("num_nodes must be 0 to " + std::to_string(std::numeric_limits<NodeId>::max()) +
                ", got " + std::to_string(n));
  }
  const std::size_t e_in = in_src.size();
  for (std::size_t k = 0; k < e_in; ++k) {
    for (const std::int64_t v : {in_src[k], in_dst[k]}) {
      if (v < 0 || v >= n) {
        throw Error("edge_index[:, " + std::to_string(k) + "] = (" + std::to_string(in_src[k]) +
                    ", " + std::to_string(in_dst[k]) + ") names a node outside [0, " +
                    std::to_string(n) + ")");
      }
    }
  }
  kept.reserve(e_in);
  for (std::size_t k = 0; k < e_in; ++k) {
    if (!add_self_loops || in_src[k] != in_dst[k]) kept.push_back(std::int64_t(k));
  }
  const std::size_t e = kept.size() + (add_self_loops ? std::size_t(n) : 0);
  src.resize(e);
  dst.resize(e);
  for (std::size_t k = 0; k < kept.size(); ++k) {
    src[k] = in_src[std::size_t(kept[k])];
    dst[k] = in_dst[std::size_t(kept[k])];
  }
  for (std::size_t i = kept.size(); i < e; ++i) src[i] = dst[i] = std::int64_t(i - kept.size());

  // heed's edge ids are the stable order by (dst, src): a counting sort by
  // src, then a stable one by dst, as the graph builds its CSR.
  auto counting_sort = [&](const std::vector<std::int64_t>& key,
                           const std::vector<std::int64_t>& order) {
    std::vector<std::int64_t> start(std::size_t(n) + 1, 0);
    for (std::int64_t k : order) ++start[std::size_t(key[std::size_t(k)]) + 1];
    for (std::size_t v = 1; v < start.size(); ++v) start[v] += start[v - 1];
    std::vector<std::int64_t> out(order.size());
    for (std::int64_t k : order) out[std::size_t(start[std::size_t(key[std::size_t(k)])]++)] = k;
    return out;
  };
  std::vector<std::int64_t> identity(e);
  for (std::size_t k = 0; k < e; ++k) identity[k] = std::int64_t(k);
  pyg_edge = counting_sort(dst, counting_sort(src, identity));
  heed_edge.resize(e);
  for (std::size_t id = 0; id < e; ++id) heed_edge[std::size_t(pyg_edge[id])] = std::int64_t(id);

  EdgeList list;
  list.src.resize(e);
  list.dst.resize(e);
  for (std::size_t id = 0; id < e; ++id) {
    list.src[id] = NodeId(src[std::size_t(pyg_edge[id])]);
    list.dst[id] = NodeId(dst[std::size_t(pyg_edge[id])]);
  }
  GraphOptions options;
  options.remove_duplicates = false;  // PyG attends over each copy
  graph = Graph(n, list, options);
  // The graph's own order must be the one worked out here.
  const std::span<const NodeId> g_src = graph.edge_src();
  const std::vector<NodeId> g_dst = graph.edge_dst();
  for (std::size_t id = 0; id < e; ++id) {
    if (g_src[id] != list.src[id] || g_dst[id] != list.dst[id]) {
      throw Error("internal error: the graph's edge order differs from PyG's mapping");
    }
  }
}

}  // namespace heed::python
