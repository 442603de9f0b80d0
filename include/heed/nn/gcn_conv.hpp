#pragma once
// GCNConv (Kipf and Welling, ICLR 2017):
//   H' = D^-1/2 (A + I) D^-1/2 X W + b
// with D the in-degree of A + I. Options carry PyTorch Geometric's names and
// defaults; normalize = false sums the neighbours unweighted.
#include <memory>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/gat_conv.hpp"
#include "heed/nn/graph_identity.hpp"
#include "heed/nn/node_features.hpp"
#include "heed/nn/self_loop_cache.hpp"

namespace heed::nn {

struct GCNConvOptions {
  int in_channels = 0;
  int out_channels = 0;
  bool add_self_loops = true;
  bool normalize = true;
  bool bias = true;
};

template <class T>
class GCNConv {
 public:
  /// Validates the options (heed::Error naming the bad one); W
  /// Glorot-uniform, bias zero.
  GCNConv(const GCNConvOptions& options, Rng& rng);

  /// x is N x in_channels; the graph must outlive the tape. The edge weights
  /// are computed once per graph and reused while the same graph comes back.
  Var<T> forward(Var<T> x, const Graph& graph, const ForwardContext& context = {});
  /// The same for a model's constant input features, with optional dropout
  /// on them (drawn inside the sparse product when x is mostly zeros).
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const KeyedDropout<T>& input_dropout = {});

  const GCNConvOptions& options() const { return options_; }
  std::vector<Parameter<T>*> parameters();

 private:
  Var<T> propagate(Var<T> z, const Graph& graph);

  GCNConvOptions options_;
  Parameter<T> weight_;  // in_channels x out_channels
  Parameter<T> bias_;    // 1 x out_channels
  SelfLoopCache self_loops_;
  // Normalised edge weights of the last graph propagated over, and which.
  std::shared_ptr<const std::vector<T>> edge_weight_;
  GraphIdentity weight_graph_;
};

extern template class GCNConv<float>;
extern template class GCNConv<double>;

}  // namespace heed::nn
