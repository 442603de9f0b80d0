#pragma once
// A stack of L message-passing layers of one kind, for deep models and the
// remedies for over-smoothing:
//
//   h_0 = x
//   y_l = act(norm(conv_l(dropout(h_l))))          l = 0 .. L-2 (hidden)
//   h_{l+1} = h_l + y_l   (residual, l >= 1)  or  y_l
//   out = log_softmax(conv_{L-1}(dropout(h_{L-1})))
//
// Attention layers concatenate `heads` heads in hidden layers and average
// `output_heads` in the last; act is ELU for them (as in GAT) and ReLU for
// GCN and mean aggregation (as in their papers). The first hidden layer
// changes the width, so the residual starts from the second.
#include <variant>
#include <vector>

#include "heed/nn/gat.hpp"
#include "heed/nn/gat_conv.hpp"
#include "heed/nn/gatv2_conv.hpp"
#include "heed/nn/gcn_conv.hpp"
#include "heed/nn/node_model.hpp"
#include "heed/nn/sage_conv.hpp"

namespace heed::nn {

/// The models heed builds: message-passing layers of one kind, or the graph
/// transformer (graph_transformer.hpp), which GNNStack does not stack.
enum class ConvKind { kGAT, kGATv2, kGCN, kSAGE, kTransformer };
enum class Normalisation { kNone, kLayer };

/// "gat", "gatv2", "gcn", "sage" or "transformer".
const char* conv_kind_name(ConvKind kind);
/// The kind named so; heed::Error for any other name.
ConvKind parse_conv_kind(const std::string& name);

struct GNNStackOptions {
  ConvKind conv = ConvKind::kGAT;
  int in_channels = 0;
  int hidden_channels = 8;  // per head for attention layers
  int heads = 8;            // hidden-layer heads (attention layers)
  int out_channels = 0;     // classes
  int output_heads = 1;     // output-layer heads, averaged (attention layers)
  int layers = 2;           // message-passing layers, the output layer included
  bool residual = false;
  Normalisation norm = Normalisation::kNone;
  double dropout = 0.6;  // on each layer's input, in training only
  double attention_dropout = 0.6;
  double negative_slope = 0.2;
};

template <class T>
class GNNStack final : public NodeModel<T> {
 public:
  /// Validates the options (heed::Error naming the bad one).
  GNNStack(const GNNStackOptions& options, Rng& rng);

  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, const Inspection<T>& inspect = {}) override;
  std::vector<Parameter<T>*> parameters() override;
  const char* name() const override { return conv_kind_name(options_.conv); }
  const GNNStackOptions& options() const { return options_; }

 private:
  using Conv = std::variant<GATConv<T>, GATv2Conv<T>, GCNConv<T>, SAGEConv<T>>;
  Conv make_conv(int layer, Rng& rng) const;

  GNNStackOptions options_;
  std::vector<Conv> convs_;
  // LayerNorm's scale and shift, one pair per hidden layer, when norm is on.
  std::vector<Parameter<T>> norm_scale_;
  std::vector<Parameter<T>> norm_shift_;
};

extern template class GNNStack<float>;
extern template class GNNStack<double>;

}  // namespace heed::nn
