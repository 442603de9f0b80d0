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
// W_s = W_d. projection_bias adds PyG's biases of the two projections
// (x W_s + b_s, x W_d + b_d); off by default, as in the paper.
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/layer.hpp"
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
  bool projection_bias = false;  // b_s and b_d, as PyG's lin_l and lin_r have
  /// Features per edge (PyG's edge_dim); 0: none. With it the score is
  /// a . LeakyReLU(W_d x_i + W_s x_j + W_e x_ij).
  int edge_dim = 0;
};

template <class T>
class GATv2Conv final : public Conv<T> {
 public:
  /// Its registry entry: "gatv2".
  static ConvTraits traits();
  static GATv2ConvOptions options_from(const LayerSpec& spec);

  /// Validates the options (heed::Error naming the bad one); W_s, W_d and a
  /// Glorot-uniform, bias zero.
  GATv2Conv(const GATv2ConvOptions& options, Rng& rng);

  // forward(x, graph, context) and forward(x, graph, edge_attr, context) as
  // every Conv; self loops as in GATConv.

  const GATv2ConvOptions& options() const { return options_; }
  int out_width() const override {
    return options_.concat ? options_.heads * options_.out_channels : options_.out_channels;
  }
  std::vector<Parameter<T>*> parameters() override;

 private:
  Var<T> run(Var<T> x, const Graph& graph, const Var<T>* edge_attr, const ForwardContext& context,
             Attention<T>* attention) override;
  Var<T> attend(Var<T> x_src, Var<T> x_dst, const Graph& graph, const Var<T>* edge_attr,
                const ForwardContext& context, Attention<T>* attention);

  GATv2ConvOptions options_;
  Parameter<T> weight_src_;   // in_channels x (heads * out_channels)
  Parameter<T> weight_dst_;   // the same shape; unused with share_weights
  Parameter<T> bias_src_;     // 1 x (heads * out_channels), with projection_bias
  Parameter<T> bias_dst_;     // the same; unused with share_weights
  Parameter<T> att_;          // 1 x (heads * out_channels)
  Parameter<T> bias_;         // 1 x out_width()
  Parameter<T> weight_edge_;  // edge_dim x (heads * out_channels), with edge_dim
  SelfLoopCache self_loops_;
};

extern template class GATv2Conv<float>;
extern template class GATv2Conv<double>;

}  // namespace heed::nn
