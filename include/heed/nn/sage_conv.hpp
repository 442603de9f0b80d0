#pragma once
// SAGEConv with mean aggregation (Hamilton et al., NeurIPS 2017), the plain
// neighbourhood average heed offers next to attention:
//   h_i = W_root x_i + W_nbr mean_{j in N(i)} x_j + b
// Options carry PyTorch Geometric's names and defaults (root_weight, bias).
// The mean runs over the graph as given: a graph with self loops includes
// the node itself.
#include <memory>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/graph_identity.hpp"
#include "heed/nn/layer.hpp"

namespace heed::nn {

struct SAGEConvOptions {
  int in_channels = 0;
  int out_channels = 0;
  bool root_weight = true;
  bool bias = true;
};

template <class T>
class SAGEConv final : public Conv<T> {
 public:
  /// Its registry entry: "sage".
  static ConvTraits traits();
  static SAGEConvOptions options_from(const LayerSpec& spec);

  SAGEConv(const SAGEConvOptions& options, Rng& rng);

  // forward(x, graph, context) as every Conv (no edge features). The mean's
  // edge weights are computed once per graph.

  const SAGEConvOptions& options() const { return options_; }
  int out_width() const override { return options_.out_channels; }
  std::vector<Parameter<T>*> parameters() override;

 private:
  Var<T> run(Var<T> x, const Graph& graph, const Var<T>* edge_attr, const ForwardContext& context,
             Attention<T>* attention) override;

  SAGEConvOptions options_;
  Parameter<T> weight_nbr_;   // in_channels x out_channels
  Parameter<T> weight_root_;  // the same; unused without root_weight
  Parameter<T> bias_;         // 1 x out_channels
  // The mean's node scales for the last graph seen, and which.
  std::shared_ptr<const kernels::AggregateScales<T>> scales_;
  GraphIdentity scales_graph_;
};

extern template class SAGEConv<float>;
extern template class SAGEConv<double>;

}  // namespace heed::nn
