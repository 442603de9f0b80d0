#include "heed/nn/gcn_conv.hpp"

#include <string>

#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/nn/init.hpp"

namespace heed::nn {
template <class T>
ConvTraits GCNConv<T>::traits() {
  ConvTraits t;
  t.name = "gcn";
  t.summary = "GCNConv (Kipf and Welling 2017): symmetric-normalised sum";
  t.defaults = PaperDefaults{.hidden_channels = 16, .dropout = 0.5, .lr = 0.01, .max_epochs = 200};
  t.options = {{"add_self_loops", 1, "add a self loop to every node"},
               {"normalize", 1, "weight edges by 1 / sqrt(deg_i deg_j)"},
               {"bias", 1, "add a learned bias"}};
  return t;
}

template <class T>
GCNConvOptions GCNConv<T>::options_from(const LayerSpec& s) {
  GCNConvOptions o;
  o.in_channels = s.in_channels;
  o.out_channels = s.out_channels;
  o.add_self_loops = s.option("add_self_loops", 1) != 0;
  o.normalize = s.option("normalize", 1) != 0;
  o.bias = s.option("bias", 1) != 0;
  return o;
}

template <class T>
GCNConv<T>::GCNConv(const GCNConvOptions& options, Rng& rng) : options_(options) {
  if (options_.in_channels < 1) {
    throw Error("GCNConv: in_channels must be >= 1, got " + std::to_string(options_.in_channels));
  }
  if (options_.out_channels < 1) {
    throw Error("GCNConv: out_channels must be >= 1, got " + std::to_string(options_.out_channels));
  }
  const std::size_t in = std::size_t(options_.in_channels),
                    out = std::size_t(options_.out_channels);
  weight_ = Parameter<T>("weight", glorot_uniform<T>(in, out, in, out, rng));
  if (options_.bias) bias_ = Parameter<T>("bias", Tensor<T>(1, out), false);
}

template <class T>
std::vector<Parameter<T>*> GCNConv<T>::parameters() {
  std::vector<Parameter<T>*> p{&weight_};
  if (options_.bias) p.push_back(&bias_);
  return p;
}

template <class T>
Var<T> GCNConv<T>::run(Var<T> x, const Graph& graph, const Var<T>* edge_attr, const ForwardContext&,
                       Attention<T>*) {
  check_node_input(x, graph, options_.in_channels, "GCNConv");
  reject_edge_input(edge_attr, "GCNConv");
  const Var<T> z = ops::matmul(x, x.tape().parameter(weight_));
  const Graph& g = options_.add_self_loops ? self_loops_.looped(graph) : graph;
  if (!scales_graph_.same(g)) {
    scales_ = std::make_shared<const kernels::AggregateScales<T>>(
        options_.normalize ? kernels::gcn_scales<T>(g) : kernels::AggregateScales<T>{});
    scales_graph_.remember(g);
  }
  if (!options_.bias) return ops::scaled_aggregate(z, g, scales_);
  const Var<T> b = z.tape().parameter(bias_);
  return ops::scaled_aggregate(z, g, scales_, &b);
}

template class GCNConv<float>;
template class GCNConv<double>;

}  // namespace heed::nn
