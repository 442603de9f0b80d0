#pragma once
// GATConv (Velickovic et al., ICLR 2018).
//
//   z_i      = W x_i                                   (H heads of F features)
//   e_ij     = LeakyReLU(a_dst . z_i + a_src . z_j)    over in-edges j -> i
//   alpha_ij = softmax_j(e_ij)                         (then dropout)
//   h_i      = || or mean over heads of sum_j alpha_ij z_j, plus bias
//
// Options carry PyTorch Geometric's names and defaults; feature_dropout adds
// the GAT authors' placement of feature dropout inside the layer.
#include <cstdint>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/layer.hpp"
#include "heed/nn/self_loop_cache.hpp"
#include "heed/tensor/random.hpp"

namespace heed::nn {

struct GATConvOptions {
  int in_channels = 0;
  int out_channels = 0;  // features per head
  int heads = 1;
  bool concat = true;  // concatenate heads (H * F out) or average them (F out)
  double negative_slope = 0.2;
  double dropout = 0.0;  // on the attention coefficients, in training only
  // Dropout on the layer's input, one independent mask per head, and on the
  // projected features z that are aggregated (not on those that score), as
  // in the GAT authors' implementation; in training only. 0: off (as in PyG).
  double feature_dropout = 0.0;
  bool add_self_loops = true;
  bool bias = true;
  /// Features per edge (PyG's edge_dim); 0: none. With it, the score gains a
  /// term per edge and head: e_ij = LeakyReLU(a_dst.z_i + a_src.z_j + a_edge.(W_e x_ij)).
  int edge_dim = 0;
};

template <class T>
class GATConv final : public Conv<T> {
 public:
  /// Its registry entry: "gat".
  static ConvTraits traits();
  /// A stack's or benchmark's request as GATConv's options.
  static GATConvOptions options_from(const LayerSpec& spec);

  /// Validates the options (heed::Error naming the bad one) and initialises
  /// W, a_src and a_dst Glorot-uniform and the bias to zero.
  GATConv(const GATConvOptions& options, Rng& rng);

  // forward(x, graph, context) and forward(x, graph, edge_attr, context) as
  // every Conv. If add_self_loops is set and the graph lacks a self loop on
  // some node, the layer keeps a looped copy, reused while the same graph
  // comes back; a tape must not mix two different loop-less graphs on one
  // layer (pass looped graphs then). A mostly-zero constant input
  // (Tape::features) is multiplied through its nonzeros.

  const GATConvOptions& options() const { return options_; }
  int out_width() const override {
    return options_.concat ? options_.heads * options_.out_channels : options_.out_channels;
  }
  std::vector<Parameter<T>*> parameters() override;

 private:
  Var<T> run(Var<T> x, const Graph& graph, const Var<T>* edge_attr, const ForwardContext& context,
             Attention<T>* attention) override;
  // Scores, softmax and aggregation of the projected features z = x W.
  Var<T> attend(Var<T> z, const Graph& graph, const Var<T>* edge_attr,
                const ForwardContext& context, Attention<T>* attention);

  GATConvOptions options_;
  Parameter<T> weight_;       // in_channels x (heads * out_channels)
  Parameter<T> att_src_;      // 1 x (heads * out_channels)
  Parameter<T> att_dst_;      // 1 x (heads * out_channels)
  Parameter<T> bias_;         // 1 x out_width()
  Parameter<T> weight_edge_;  // edge_dim x (heads * out_channels), with edge_dim
  Parameter<T> att_edge_;     // 1 x (heads * out_channels), with edge_dim
  SelfLoopCache self_loops_;
};

extern template class GATConv<float>;
extern template class GATConv<double>;

}  // namespace heed::nn
