#pragma once
// A model: node features and a graph in, one row of outputs per node out
// (logits or values: the task's head, train/task.hpp, turns them into
// probabilities and losses). Built from its ModelSpec by make_model.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/layer.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/nn/node_features.hpp"

namespace heed::nn {

/// What a model reads. The graph (which may be many small graphs as one
/// block-diagonal graph) should carry the self loops the layers want; the
/// features have one row per node of it, the edge features (for models with
/// edge_dim) one row per edge id. All must outlive the tape.
template <class T>
struct GraphInput {
  const Graph* graph = nullptr;
  const NodeFeatures<T>* x = nullptr;
  const Tensor<T>* edge_attr = nullptr;
  /// For graph-level models: graph g of the batch owns the nodes
  /// [graph_offsets[g], graph_offsets[g + 1]) (GraphBatch::node_offsets).
  std::span<const std::int64_t> graph_offsets;
  /// Input rows already on the tape, used instead of x when given: a
  /// model's own embedding of token ids (nn/token_graph_model.hpp), whose
  /// gradient must flow back into its table.
  const Var<T>* rows = nullptr;
};

template <class T>
class Model {
 public:
  virtual ~Model() = default;

  /// N x out_channels outputs (logits, not log-probabilities), or one row
  /// per graph of the batch for a graph-level model.
  Var<T> forward(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
                 const Inspection<T>& inspect = {}) {
    if (input.graph == nullptr || (input.x == nullptr && input.rows == nullptr)) {
      throw Error(spec().model + ": the input needs a graph and features");
    }
    return run(tape, input, context, inspect);
  }
  /// The same for features on one graph.
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, const Inspection<T>& inspect = {}) {
    return run(tape, GraphInput<T>{&graph, &x, nullptr, {}}, context, inspect);
  }

  virtual std::vector<Parameter<T>*> parameters() = 0;
  /// What the model was built from.
  virtual const ModelSpec& spec() const = 0;
  const std::string& name() const { return spec().model; }

 protected:
  virtual Var<T> run(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
                     const Inspection<T>& inspect) = 0;
};

/// The graph a model described by `spec` runs on, made from a dataset's
/// graph: with one self loop on every node for GNN stacks and the
/// transformer (their layers find the loops there), as given for sequential
/// models, whose convs add loops as their own settings say (PyG's
/// add_self_loops). Training, evaluation and inference all use it.
Graph model_input_graph(const ModelSpec& spec, const Graph& graph);

/// Validates the spec (heed::Error naming the bad setting) and builds the
/// model it describes, initialised from `rng`: a GNNStack of the named conv,
/// or the GraphTransformer.
template <class T>
std::unique_ptr<Model<T>> make_model(const ModelSpec& spec, Rng& rng);

}  // namespace heed::nn
