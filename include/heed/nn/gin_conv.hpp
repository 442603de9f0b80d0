#pragma once
// GINConv (Xu et al., "How Powerful are Graph Neural Networks?", ICLR 2019):
//
//   h_i = MLP((1 + eps) x_i + sum_{j in N(i)} x_j)
//
// with MLP = Linear(in, mlp_hidden) -> ReLU -> Linear(mlp_hidden, out), the
// GIN paper's two-layer perceptron (without its batch norm). eps is 0 and
// fixed by default; train_eps learns it, as in PyG. The sum runs over the
// graph's edges without its self loops: the node's own term is the explicit
// (1 + eps) x_i, so a graph with or without loops gives the same layer.
#include <memory>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/nn/graph_identity.hpp"
#include "heed/nn/layer.hpp"
#include "heed/nn/linear.hpp"

namespace heed::nn {

struct GINConvOptions {
  int in_channels = 0;
  int out_channels = 0;
  double eps = 0.0;        // initial (or fixed) eps
  bool train_eps = false;  // learn eps
  int mlp_hidden = 0;      // width of the MLP's hidden layer; 0: out_channels
};

template <class T>
class GINConv final : public Conv<T> {
 public:
  /// Its registry entry: "gin".
  static ConvTraits traits();
  static GINConvOptions options_from(const LayerSpec& spec);

  /// Validates the options (heed::Error naming the bad one); the MLP's
  /// weights Glorot-uniform, its biases zero.
  GINConv(const GINConvOptions& options, Rng& rng);

  // forward(x, graph, context) as every Conv (no edge features).

  const GINConvOptions& options() const { return options_; }
  int out_width() const override { return options_.out_channels; }
  std::vector<Parameter<T>*> parameters() override;

 private:
  Var<T> run(Var<T> x, const Graph& graph, const Var<T>* edge_attr, const ForwardContext& context,
             Attention<T>* attention) override;

  GINConvOptions options_;
  Linear<T> first_;   // in_channels x mlp_hidden ("nn.0", as PyG names it)
  Linear<T> second_;  // mlp_hidden x out_channels ("nn.2")
  Parameter<T> eps_;  // 1 x 1, learned with train_eps, else a constant
  // The last graph seen without its self loops (GIN adds (1 + eps) x_i
  // itself), and which graph it came from.
  Graph loop_free_;
  GraphIdentity loop_free_from_;
};

extern template class GINConv<float>;
extern template class GINConv<double>;

}  // namespace heed::nn
