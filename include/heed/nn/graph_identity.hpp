#pragma once
// Layers derive things from a graph once and reuse them while the same graph
// comes back (a self-looped copy, GCN's or the mean's edge weights). "The
// same graph" means the same object with the same edge buffer and the same
// fingerprint: batches of graphs are built and freed one after another, and
// a new one can land on the old one's address and buffers.
#include "heed/graph/graph.hpp"

namespace heed::nn {

class GraphIdentity {
 public:
  bool same(const Graph& graph) const {
    return graph_ == &graph && edges_ == graph.in().indices.data() &&
           fingerprint_ == graph.fingerprint();
  }
  void remember(const Graph& graph) {
    graph_ = &graph;
    edges_ = graph.in().indices.data();
    fingerprint_ = graph.fingerprint();
  }

 private:
  const Graph* graph_ = nullptr;
  const NodeId* edges_ = nullptr;
  std::uint64_t fingerprint_ = 0;
};

}  // namespace heed::nn
