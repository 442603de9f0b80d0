#include "heed/nn/sage_conv.hpp"

#include <string>

#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/nn/init.hpp"

namespace heed::nn {

template <class T>
ConvTraits SAGEConv<T>::traits() {
  ConvTraits t;
  t.name = "sage";
  t.summary = "SAGEConv (Hamilton et al. 2017): mean of the neighbours";
  t.defaults = PaperDefaults{.hidden_channels = 16, .dropout = 0.5, .lr = 0.01, .max_epochs = 200};
  t.options = {{"root_weight", 1, "add the node's own projection W_root x_i"},
               {"bias", 1, "add a learned bias"}};
  return t;
}

template <class T>
SAGEConvOptions SAGEConv<T>::options_from(const LayerSpec& s) {
  SAGEConvOptions o;
  o.in_channels = s.in_channels;
  o.out_channels = s.out_channels;
  o.root_weight = s.option("root_weight", 1) != 0;
  o.bias = s.option("bias", 1) != 0;
  return o;
}

template <class T>
SAGEConv<T>::SAGEConv(const SAGEConvOptions& options, Rng& rng) : options_(options) {
  if (options_.in_channels < 1 || options_.out_channels < 1) {
    throw Error("SAGEConv: in_channels and out_channels must be >= 1, got " +
                std::to_string(options_.in_channels) + " and " +
                std::to_string(options_.out_channels));
  }
  const std::size_t in = std::size_t(options_.in_channels),
                    out = std::size_t(options_.out_channels);
  weight_nbr_ = Parameter<T>("weight_nbr", glorot_uniform<T>(in, out, in, out, rng));
  if (options_.root_weight) {
    weight_root_ = Parameter<T>("weight_root", glorot_uniform<T>(in, out, in, out, rng));
  }
  if (options_.bias) bias_ = Parameter<T>("bias", Tensor<T>(1, out), false);
}

template <class T>
std::vector<Parameter<T>*> SAGEConv<T>::parameters() {
  std::vector<Parameter<T>*> p{&weight_nbr_};
  if (options_.root_weight) p.push_back(&weight_root_);
  if (options_.bias) p.push_back(&bias_);
  return p;
}

template <class T>
Var<T> SAGEConv<T>::run(Var<T> x, const Graph& graph, const Var<T>* edge_attr,
                        const ForwardContext&, Attention<T>*) {
  check_node_input(x, graph, options_.in_channels, "SAGEConv");
  reject_edge_input(edge_attr, "SAGEConv");
  if (!scales_graph_.same(graph)) {
    scales_ = std::make_shared<const kernels::AggregateScales<T>>(kernels::mean_scales<T>(graph));
    scales_graph_.remember(graph);
  }
  Tape<T>& tape = x.tape();
  // Project, then average: the mean commutes with the product, and the
  // projected rows are narrower than the input's when out < in. The bias
  // is added in the mean's pass.
  const Var<T> z = ops::matmul(x, tape.parameter(weight_nbr_));
  Var<T> h;
  if (options_.bias) {
    const Var<T> b = tape.parameter(bias_);
    h = ops::scaled_aggregate(z, graph, scales_, &b);
  } else {
    h = ops::scaled_aggregate(z, graph, scales_);
  }
  if (options_.root_weight) h = ops::add(h, ops::matmul(x, tape.parameter(weight_root_)));
  return h;
}

template class SAGEConv<float>;
template class SAGEConv<double>;

}  // namespace heed::nn
