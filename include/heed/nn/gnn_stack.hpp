#pragma once
// A stack of L message-passing layers of one registered conv: the papers'
// two-layer models (GAT, GATv2, GCN, GraphSAGE, GIN) and deep models with the
// remedies for over-smoothing.
//
//   h_0 = x
//   y_l = act(norm(conv_l(dropout(h_l))))          l = 0 .. L-2 (hidden)
//   h_{l+1} = h_l + y_l   (residual, l >= 1)  or  y_l
//   out = conv_{L-1}(dropout(h_{L-1}))              (logits)
//
// A graph-level stack (a readout) runs all L layers as hidden ones and ends
// with the readout and its MLP head (nn/graph_readout.hpp): one row per graph.
//
// Multi-head layers concatenate `heads` heads in hidden layers and average
// `output_heads` in the last; act is the conv's (ELU for attention, as in GAT;
// ReLU otherwise, as in the GCN paper). The first hidden layer changes the
// width, so the residual starts from the second. In the GAT paper's
// two-layer model the dropout is inside the layers, per head (see
// ModelSpec::feature_dropout).
#include <memory>
#include <vector>

#include "heed/nn/conv_registry.hpp"
#include "heed/nn/graph_readout.hpp"
#include "heed/nn/model.hpp"

namespace heed::nn {

/// What a stack described by `spec` asks of its layer l (0-based).
LayerSpec stack_layer(const ModelSpec& spec, int l);

template <class T>
class GNNStack final : public Model<T> {
 public:
  /// Validates the spec (heed::Error naming the bad setting).
  GNNStack(const ModelSpec& spec, Rng& rng);

  std::vector<Parameter<T>*> parameters() override;
  const ModelSpec& spec() const override { return spec_; }
  /// Layer l, for tests and tools that look inside.
  Conv<T>& layer(int l) { return *convs_.at(std::size_t(l)); }

 private:
  Var<T> run(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
             const Inspection<T>& inspect) override;

  ModelSpec spec_;
  ConvTraits traits_;
  std::vector<std::unique_ptr<Conv<T>>> convs_;
  // LayerNorm's scale and shift, one pair per hidden layer, when norm is on.
  std::vector<Parameter<T>> norm_scale_;
  std::vector<Parameter<T>> norm_shift_;
  // Batch normalisation's running statistics. Kept as parameters that no
  // gradient reaches (Adam leaves them: zero moments, no decay) so that the
  // trainer's snapshot of the kept epoch and checkpoints carry them with
  // the weights they were gathered for.
  std::vector<Parameter<T>> running_mean_;
  std::vector<Parameter<T>> running_var_;
  GraphReadout<T> readout_;  // graph-level stacks only
};

extern template class GNNStack<float>;
extern template class GNNStack<double>;

}  // namespace heed::nn
