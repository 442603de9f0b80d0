#include "heed/nn/gcn_conv.hpp"

#include <string>

#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/nn/init.hpp"

namespace heed::nn {
namespace {

void check_input(std::size_t rows, std::size_t cols, const Graph& graph, int in_channels) {
  if (cols != std::size_t(in_channels)) {
    throw Error("GCNConv: input has " + std::to_string(cols) +
                " features, the layer expects in_channels = " + std::to_string(in_channels));
  }
  if (std::int64_t(rows) != graph.num_nodes()) {
    throw Error("GCNConv: input has " + std::to_string(rows) + " rows, the graph " +
                std::to_string(graph.num_nodes()) + " nodes");
  }
}

}  // namespace

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
Var<T> GCNConv<T>::forward(Var<T> x, const Graph& graph, const ForwardContext&) {
  check_input(x.value().rows(), x.value().cols(), graph, options_.in_channels);
  return propagate(ops::matmul(x, x.tape().parameter(weight_)), graph);
}

template <class T>
Var<T> GCNConv<T>::forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                           const KeyedDropout<T>& input_dropout) {
  if (!x.sparse()) {
    return forward(ops::dropout(tape.view(x.dense()), input_dropout), graph, ForwardContext{});
  }
  check_input(x.rows(), x.cols(), graph, options_.in_channels);
  return propagate(ops::head_dropout_matmul(x.sparse(), tape.parameter(weight_), 1, input_dropout),
                   graph);
}

template <class T>
Var<T> GCNConv<T>::propagate(Var<T> z, const Graph& graph) {
  const Graph& g = options_.add_self_loops ? self_loops_.looped(graph) : graph;
  if (!weight_graph_.same(g)) {
    edge_weight_ = std::make_shared<const std::vector<T>>(
        options_.normalize ? kernels::gcn_edge_weights<T>(g)
                           : std::vector<T>(std::size_t(g.num_edges()), T(1)));
    weight_graph_.remember(g);
  }
  Var<T> h = ops::weighted_aggregate(z, g, edge_weight_);
  if (options_.bias) h = ops::add_bias(h, z.tape().parameter(bias_));
  return h;
}

template class GCNConv<float>;
template class GCNConv<double>;

}  // namespace heed::nn
