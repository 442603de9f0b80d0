#pragma once
// The one description of a model: which model, its sizes and options. It is
// validated once (validate(), which make_model calls), written and read by
// one JSON codec that checkpoints and `heed train --json` share, and built
// by make_model (nn/model.hpp).
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "heed/nn/layer.hpp"

namespace heed::nn {

/// The model name of the graph transformer; every other model name is a
/// registered conv (nn/conv_registry.hpp), stacked by GNNStack, or a
/// sequential model.
inline constexpr const char* kTransformerModel = "transformer";
/// The model name of a list of modules run in order (nn/sequential.hpp).
inline constexpr const char* kSequentialModel = "sequential";

/// One module of a sequential model, as PyTorch model lists describe them:
/// a registered conv, "linear" (y = x W + b), "elu", "relu" or "dropout".
struct ModuleSpec {
  std::string kind;
  /// The source framework's name for the module ("conv1"); for people and
  /// for exporting.
  std::string name;
  /// Convs: as a stack asks for them. linear: in_channels, out_channels and
  /// the option "bias" (default 1). dropout: dropout, the probability.
  LayerSpec layer;

  /// Whether the kind is a registered conv.
  bool is_conv() const;
  /// Features out of the module, for `in_width` in (which activations and
  /// dropout keep).
  int out_width(int in_width) const;
};

struct ModelSpec {
  std::string model = "gat";  // a registered conv, or "transformer"
  int in_channels = 0;
  int out_channels = 0;     // classes, or regression targets
  int hidden_channels = 8;  // per head for multi-head layers and the transformer
  int heads = 8;            // hidden-layer heads (multi-head layers, transformer)
  int output_heads = 1;     // output-layer heads, averaged (multi-head layers)
  int layers = 2;           // message-passing layers (transformer blocks), output layer included
  bool residual = false;    // around hidden layers after the first
  Normalisation norm = Normalisation::kNone;
  double dropout = 0.6;            // on features, placed as feature_dropout says
  double attention_dropout = 0.6;  // on attention coefficients
  double negative_slope = 0.2;
  /// Per-head feature dropout is the GAT paper's two-layer recipe: a stack of
  /// two layers without residuals or normalisation, of a conv that has it.
  /// Every other model drops each layer's input.
  FeatureDropout feature_dropout = FeatureDropout::kPerHead;
  int edge_dim = 0;  // features per edge, for convs that take them
  /// Graph-level models: how each graph's nodes are pooled after the last
  /// layer (every layer is then a hidden one), and the width of the MLP
  /// head's hidden layer (0: the stack's hidden width). none: node-level.
  Readout readout = Readout::kNone;
  int head_hidden = 0;
  /// Graph-level models: pool the input and every layer's output, not only
  /// the last layer's, concatenated before the head (the GIN paper's
  /// readout; PyG's jk="cat").
  bool readout_every_layer = false;
  /// The conv's own settings (ConvTraits::options) by name; unset ones take
  /// their defaults.
  std::map<std::string, double> conv_options;

  // The transformer's own settings (nn/graph_transformer.hpp); the others
  // must leave them at their defaults.
  AttentionMode attention = AttentionMode::kGraph;
  int ffn_hidden = 0;  // 0: twice the model width
  int laplacian_k = 0;
  bool norm_first = false;

  /// The modules of a sequential model, in order; empty for other models
  /// (which then ignore it). A sequential model's other stack settings are
  /// unused: its modules carry their own.
  std::vector<ModuleSpec> modules;

  bool is_transformer() const { return model == kTransformerModel; }
  bool is_sequential() const { return model == kSequentialModel; }
  bool is_graph_level() const { return readout != Readout::kNone; }
  /// Width of hidden layers: heads x hidden_channels for multi-head layers
  /// and the transformer, hidden_channels otherwise.
  int hidden_width() const;
  /// Whether the first layers drop each head's input on their own (see
  /// feature_dropout).
  bool per_head_dropout() const;
  /// heed::Error naming the first setting that is out of range or does not
  /// apply to the model.
  void validate() const;
};

/// Every model name: the registered convs, then "transformer".
std::vector<std::string> model_names();
/// What the model's paper used: sizes, dropout and training.
PaperDefaults paper_defaults(const std::string& model);

/// The spec as JSON, and back. Reading throws heed::Error naming the missing
/// or bad field, prefixed by `context` (a file name, say); settings that
/// older files lack take their defaults.
void to_json(nlohmann::json& j, const ModelSpec& spec);
ModelSpec model_spec_from_json(const nlohmann::json& j, const std::string& context);

}  // namespace heed::nn
