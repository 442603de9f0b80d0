#pragma once
// Layers derive things from a graph once and reuse them while the same graph
// comes back (a self-looped copy, GCN's or the mean's edge weights). "The
// same graph" means the same object with the same edge buffer: a graph that
// was rebuilt in place gets a new buffer and so counts as new.
#include "heed/graph/graph.hpp"

namespace heed::nn {

class GraphIdentity {
 public:
  bool same(const Graph& graph) const {
    return graph_ == &graph && edges_ == graph.in().indices.data();
  }
  void remember(const Graph& graph) {
    graph_ = &graph;
    edges_ = graph.in().indices.data();
  }

 private:
  const Graph* graph_ = nullptr;
  const NodeId* edges_ = nullptr;
};

}  // namespace heed::nn
