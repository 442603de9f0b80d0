#pragma once
// What the trainer needs of a node-classification model: log-probabilities
// for every node from features and a graph, and the parameters to update.
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/gat_conv.hpp"
#include "heed/nn/node_features.hpp"

namespace heed::nn {

/// What a caller may ask a forward pass to hand back besides its output.
template <class T>
struct Inspection {
  /// One entry per attention layer, in order (left empty by models without
  /// attention).
  std::vector<Attention<T>>* attention = nullptr;
  /// The last hidden representation, the input of the output layer (before
  /// its dropout): what over-smoothing flattens.
  Tensor<T>* last_hidden = nullptr;
};

template <class T>
class NodeModel {
 public:
  virtual ~NodeModel() = default;
  /// N x classes log-probabilities. x and graph must outlive the tape.
  virtual Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                         const ForwardContext& context, const Inspection<T>& inspect = {}) = 0;
  virtual std::vector<Parameter<T>*> parameters() = 0;
  /// A short name for reports ("gat").
  virtual const char* name() const = 0;
};

}  // namespace heed::nn
