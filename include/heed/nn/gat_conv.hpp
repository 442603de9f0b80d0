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
#include "heed/nn/node_features.hpp"
#include "heed/nn/self_loop_cache.hpp"
#include "heed/tensor/random.hpp"
#include "heed/tensor/tensor_pool.hpp"

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

/// What a forward pass does besides computing: training mode (dropout on)
/// and the key its dropout masks are drawn from.
struct ForwardContext {
  bool training = false;
  std::uint64_t dropout_key = 0;
};

/// A layer's attention coefficients on the graph it ran over (with the self
/// loops it added): alpha(e, h) for edge id e of graph.in() and head h.
template <class T>
struct Attention {
  Graph graph;
  Tensor<T> alpha;

  /// The in-neighbours of `node` and their coefficients for `head`.
  std::vector<std::pair<NodeId, T>> in_edges(NodeId node, int head) const;
};

template <class T>
class GATConv {
 public:
  /// Validates the options (heed::Error naming the bad one) and initialises
  /// W, a_src and a_dst Glorot-uniform and the bias to zero.
  GATConv(const GATConvOptions& options, Rng& rng);

  /// x is N x in_channels. The graph must outlive the tape. If add_self_loops
  /// is set and the graph lacks a self loop on some node, the layer keeps a
  /// looped copy, reused while the same graph comes back; a tape must not mix
  /// two different loop-less graphs on one layer (pass looped graphs then).
  /// With `attention` set, the coefficients (before dropout) are stored there.
  Var<T> forward(Var<T> x, const Graph& graph, const ForwardContext& context,
                 Attention<T>* attention = nullptr);
  /// With edge features: edge_attr is E x edge_dim, one row per edge id of
  /// `graph` (added self loops get the mean of their node's in-edges').
  Var<T> forward(Var<T> x, const Graph& graph, Var<T> edge_attr, const ForwardContext& context,
                 Attention<T>* attention = nullptr);
  /// The same for a model's constant input features; a mostly-zero input is
  /// multiplied through its nonzeros.
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, Attention<T>* attention = nullptr);

  const GATConvOptions& options() const { return options_; }
  int out_width() const {
    return options_.concat ? options_.heads * options_.out_channels : options_.out_channels;
  }
  std::vector<Parameter<T>*> parameters();

 private:
  void check_input(std::size_t rows, std::size_t cols, const Graph& graph) const;
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
  // The attention coefficients' buffers, reused from step to step.
  std::shared_ptr<TensorPool<T>> alpha_pool_ = std::make_shared<TensorPool<T>>();
};

extern template class GATConv<float>;
extern template class GATConv<double>;

}  // namespace heed::nn
