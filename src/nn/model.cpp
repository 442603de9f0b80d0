#include "heed/nn/model.hpp"

#include "heed/nn/gnn_stack.hpp"
#include "heed/nn/graph_transformer.hpp"
#include "heed/nn/sequential.hpp"

namespace heed::nn {

Graph model_input_graph(const ModelSpec& spec, const Graph& graph) {
  return spec.is_sequential() ? graph : graph.with_self_loops();
}

template <class T>
std::unique_ptr<Model<T>> make_model(const ModelSpec& spec, Rng& rng) {
  spec.validate();
  if (spec.is_transformer()) return std::make_unique<GraphTransformer<T>>(spec, rng);
  if (spec.is_sequential()) return std::make_unique<Sequential<T>>(spec, rng);
  return std::make_unique<GNNStack<T>>(spec, rng);
}

template std::unique_ptr<Model<float>> make_model<float>(const ModelSpec&, Rng&);
template std::unique_ptr<Model<double>> make_model<double>(const ModelSpec&, Rng&);

}  // namespace heed::nn
