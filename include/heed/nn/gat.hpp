#pragma once
// The GAT paper's transductive model:
//   dropout -> GATConv(heads x hidden, concat) -> ELU -> dropout
//           -> GATConv(output_heads x classes, mean) -> log_softmax
// Where the feature dropout sits is a choice (FeatureDropout): the GAT
// authors' code drops each head's input with its own mask and also drops the
// projected features before aggregation; PyG's example drops each layer's
// input once.
#include <vector>

#include "heed/nn/gat_conv.hpp"
#include "heed/nn/node_model.hpp"

namespace heed::nn {

enum class FeatureDropout {
  kPerHead,     // the GAT authors' code: per-head input masks, and on z (GATConv::feature_dropout)
  kLayerInput,  // PyTorch Geometric's example: one mask on each layer's input
};

struct GATOptions {
  int in_channels = 0;
  int hidden_channels = 8;  // features per head in the hidden layer
  int heads = 8;            // hidden-layer heads, concatenated
  int out_channels = 0;     // classes
  int output_heads = 1;     // output-layer heads, averaged
  double dropout = 0.6;     // on features, placed as `feature_dropout` says
  double attention_dropout = 0.6;
  double negative_slope = 0.2;
  FeatureDropout feature_dropout = FeatureDropout::kPerHead;
};

template <class T>
class GAT final : public NodeModel<T> {
 public:
  GAT(const GATOptions& options, Rng& rng);

  /// Log-probabilities (N x out_channels). `graph` should already carry self
  /// loops (Dataset graphs do); x and graph must outlive the tape.
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, const Inspection<T>& inspect = {}) override;

  std::vector<Parameter<T>*> parameters() override;
  const char* name() const override { return "gat"; }
  const GATOptions& options() const { return options_; }

 private:
  GATOptions options_;
  GATConv<T> hidden_;
  GATConv<T> output_;
};

extern template class GAT<float>;
extern template class GAT<double>;

}  // namespace heed::nn
