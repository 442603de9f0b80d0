#include "heed/nn/sage_conv.hpp"

#include <string>

#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/nn/init.hpp"

namespace heed::nn {

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
Var<T> SAGEConv<T>::forward(Var<T> x, const Graph& graph) {
  const Tensor<T>& xv = x.value();
  if (xv.cols() != std::size_t(options_.in_channels) ||
      std::int64_t(xv.rows()) != graph.num_nodes()) {
    throw Error("SAGEConv: input is " + xv.shape_string() + ", expected " +
                std::to_string(graph.num_nodes()) + " x " + std::to_string(options_.in_channels));
  }
  if (!weight_graph_.same(graph)) {
    edge_weight_ = std::make_shared<const std::vector<T>>(kernels::mean_edge_weights<T>(graph));
    weight_graph_.remember(graph);
  }
  Tape<T>& tape = x.tape();
  // Project, then average: the mean commutes with the product, and the
  // projected rows are narrower than the input's when out < in.
  Var<T> h =
      ops::weighted_aggregate(ops::matmul(x, tape.parameter(weight_nbr_)), graph, edge_weight_);
  if (options_.root_weight) h = ops::add(h, ops::matmul(x, tape.parameter(weight_root_)));
  if (options_.bias) h = ops::add_bias(h, tape.parameter(bias_));
  return h;
}

template class SAGEConv<float>;
template class SAGEConv<double>;

}  // namespace heed::nn
