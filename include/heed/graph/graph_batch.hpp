#pragma once
// Many small graphs as one block-diagonal graph, as PyG's Batch and DGL's
// batched graphs are: graph g owns the nodes [node_offsets[g],
// node_offsets[g + 1]) and, since the in-CSR is by destination, the edge
// ids [edge_offsets[g], edge_offsets[g + 1]); no edge joins two graphs.
// Node rows (features) and edge rows (edge features) of a batch are the
// chosen graphs' blocks of the whole set's rows, in the batch's order.
#include <cstdint>
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed {

struct GraphBatch {
  Graph graph;
  std::vector<std::int64_t> node_offsets{0};  // graphs + 1
  std::vector<EdgeId> edge_offsets{0};        // graphs + 1

  std::int64_t num_graphs() const { return std::int64_t(node_offsets.size()) - 1; }
  /// The graph of each node (PyG's `batch` vector).
  std::vector<std::int64_t> node_graph() const;
};

/// The batch of one graph of nodes [0, n): every node in graph g = the id
/// its nodes were given, which must not decrease (a set read from files).
/// Throws heed::Error naming the first edge that joins two graphs, or the
/// first node whose graph id is below the one before it.
GraphBatch batch_from_graph_ids(Graph graph, std::span<const std::int64_t> graph_of_node);

/// The graphs `chosen` (indices into `all`, in that order, repeats allowed)
/// as one batch. Each graph's slice of the in-CSR is copied with its node
/// ids shifted, graphs in parallel (each writes only its own slice), so the
/// edge ids of a chosen graph keep their order within it.
GraphBatch select_graphs(const GraphBatch& all, std::span<const std::int64_t> chosen);

/// The chosen graphs' blocks of `rows` (one row per node, or per edge, of
/// `all`'s graphs: `offsets` is node_offsets or edge_offsets), stacked.
template <class T>
Tensor<T> gather_blocks(const Tensor<T>& rows, std::span<const std::int64_t> offsets,
                        std::span<const std::int64_t> chosen);

}  // namespace heed
