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
#include "heed/nn/graph_identity.hpp"
#include "heed/nn/layer.hpp"
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
class GCNConv final : public Conv<T> {
 public:
  /// Its registry entry: "gcn".
  static ConvTraits traits();
  static GCNConvOptions options_from(const LayerSpec& spec);

  /// Validates the options (heed::Error naming the bad one); W
  /// Glorot-uniform, bias zero.
  GCNConv(const GCNConvOptions& options, Rng& rng);

  // forward(x, graph, context) as every Conv (no edge features). The
  // normalisation's node scales are computed once per graph and reused while
  // the same graph comes back; the bias is added in the sum's pass. Dropout
  // on a sparse input (ops::dropout of Tape::features) is drawn inside the
  // product with its nonzeros.

  const GCNConvOptions& options() const { return options_; }
  int out_width() const override { return options_.out_channels; }
  std::vector<Parameter<T>*> parameters() override;

 private:
  Var<T> run(Var<T> x, const Graph& graph, const Var<T>* edge_attr, const ForwardContext& context,
             Attention<T>* attention) override;

  GCNConvOptions options_;
  Parameter<T> weight_;  // in_channels x out_channels
  Parameter<T> bias_;    // 1 x out_channels
  SelfLoopCache self_loops_;
  // The normalisation's node scales for the last graph propagated over, and which.
  std::shared_ptr<const kernels::AggregateScales<T>> scales_;
  GraphIdentity scales_graph_;
};

extern template class GCNConv<float>;
extern template class GCNConv<double>;

}  // namespace heed::nn
