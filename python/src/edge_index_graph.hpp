#pragma once
// A PyG edge_index as the graph heed's kernels run on, with PyG's handling
// of self loops (remove the graph's, append one per node) and the edge order
// PyG reports attention in: the input's edges that are not self loops, in
// input order, then the loops of nodes 0 .. N-1. Duplicate edges are kept,
// each with its own coefficient, as in PyG.
#include <cstdint>
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::python {

struct EdgeIndexGraph {
  /// heed::Error naming the edge if an id is outside [0, num_nodes).
  EdgeIndexGraph(std::span<const std::int64_t> src, std::span<const std::int64_t> dst,
                 std::int64_t num_nodes, bool add_self_loops);

  Graph graph;
  /// The edges in PyG's order: src then dst.
  std::vector<std::int64_t> src, dst;
  /// The input positions of the edges kept (all but self loops when loops
  /// are added), in order: PyG's first rows.
  std::vector<std::int64_t> kept;
  /// heed_edge[k]: the heed edge id (row of alpha) of PyG's edge k.
  std::vector<std::int64_t> heed_edge;
  /// pyg_edge[e]: PyG's position of heed edge e (the inverse).
  std::vector<std::int64_t> pyg_edge;
};

}  // namespace heed::python
