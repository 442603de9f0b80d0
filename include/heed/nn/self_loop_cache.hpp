#pragma once
// Layers that add self loops (GATConv, GATv2Conv, GCNConv, as in PyG) run on
// the graph with exactly one loop per node. Building that copy on every
// forward would cost more than the layer on small graphs, so a layer keeps
// the copy of the last loop-less graph it saw and reuses it while the same
// graph (same object, same edge buffer) comes back.
#include "heed/graph/graph.hpp"
#include "heed/nn/graph_identity.hpp"

namespace heed::nn {

class SelfLoopCache {
 public:
  /// `graph` itself if it has a loop on every node, else the cached looped
  /// copy (rebuilt when a different graph is passed). The reference stays
  /// valid until the next call with a different loop-less graph.
  const Graph& looped(const Graph& graph) {
    if (graph.has_self_loop_everywhere()) return graph;
    if (!from_.same(graph)) {
      looped_ = graph.with_self_loops();
      from_.remember(graph);
    }
    return looped_;
  }

 private:
  Graph looped_;
  GraphIdentity from_;
};

}  // namespace heed::nn
