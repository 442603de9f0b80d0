#pragma once
// GATv2Conv (Brody et al., ICLR 2022): attention that can rank neighbours
// differently for each query ("dynamic" attention).
//
//   x_src_j = W_s x_j,  x_dst_i = W_d x_i                 (H heads of F features)
//   e_ij    = a . LeakyReLU(x_dst_i + x_src_j)            over in-edges j -> i
//   alpha_ij = softmax_j(e_ij)                            (then dropout)
//   h_i     = || or mean over heads of sum_j alpha_ij x_src_j, plus bias
//
// Options carry PyTorch Geometric's names and defaults. share_weights makes
// W_s = W_d. Unlike PyG, the two projections have no bias of their own (the
// output bias remains).
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/gat_conv.hpp"
#include "heed/nn/node_features.hpp"
#include "heed/nn/self_loop_cache.hpp"

namespace heed::nn {

struct GATv2ConvOptions {
  int in_channels = 0;
  int out_channels = 0;  // features per head
  int heads = 1;
  bool concat = true;
  double negative_slope = 0.2;
  double dropout = 0.0;  // on the attention coefficients, in training only
  bool add_self_loops = true;
  bool bias = true;
  bool share_weights = false;
  /// Features per edge (PyG's edge_dim); 0: none. With it the score is
  /// a . LeakyReLU(W_d x_i + W_s x_j + W_e x_ij).
  int edge_dim = 0;
};

template <class T>
class GATv2Conv {
 public:
  /// Validates the options (heed::Error naming the bad one); W_s, W_d and a
  /// Glorot-uniform, bias zero.
  GATv2Conv(const GATv2ConvOptions& options, Rng& rng);

  /// x is N x in_channels; the graph must outlive the tape. Self loops as in
  /// GATConv. With `attention` set, the coefficients (before dropout) and the
  /// graph they belong to are stored there.
  Var<T> forward(Var<T> x, const Graph& graph, const ForwardContext& context,
                 Attention<T>* attention = nullptr);
  /// With edge features: edge_attr is E x edge_dim, one row per edge id of
  /// `graph` (added self loops get the mean of their node's in-edges').
  Var<T> forward(Var<T> x, const Graph& graph, Var<T> edge_attr, const ForwardContext& context,
                 Attention<T>* attention = nullptr);
  /// The same for a model's constant input features (a mostly-zero input is
  /// multiplied through its nonzeros).
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, Attention<T>* attention = nullptr);

  const GATv2ConvOptions& options() const { return options_; }
  int out_width() const {
    return options_.concat ? options_.heads * options_.out_channels : options_.out_channels;
  }
  std::vector<Parameter<T>*> parameters();

 private:
  Var<T> attend(Var<T> x_src, Var<T> x_dst, const Graph& graph, const Var<T>* edge_attr,
                const ForwardContext& context, Attention<T>* attention);

  GATv2ConvOptions options_;
  Parameter<T> weight_src_;   // in_channels x (heads * out_channels)
  Parameter<T> weight_dst_;   // the same shape; unused with share_weights
  Parameter<T> att_;          // 1 x (heads * out_channels)
  Parameter<T> bias_;         // 1 x out_width()
  Parameter<T> weight_edge_;  // edge_dim x (heads * out_channels), with edge_dim
  SelfLoopCache self_loops_;
};

extern template class GATv2Conv<float>;
extern template class GATv2Conv<double>;

}  // namespace heed::nn
