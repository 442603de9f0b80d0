#pragma once
// What every layer shares: the forward context, the attention and inspection
// outputs, the settings' enums and their names, and Conv, the interface of
// a message-passing layer. A conv is one header and one source file that
// derive from Conv, plus one line in nn/conv_registry.cpp
// (docs/adding-a-layer.md).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/error.hpp"
#include "heed/graph/graph.hpp"

namespace heed::nn {

/// What a forward pass does besides computing: training mode (dropout on)
/// and the key its dropout masks are drawn from.
struct ForwardContext {
  bool training = false;
  std::uint64_t dropout_key = 0;
};

/// A layer's attention coefficients on the graph it ran over (with the self
/// loops it added): alpha(e, h) for edge id e of graph.in() and head h.
template <class T>
struct Attention {
  Graph graph;
  Tensor<T> alpha;

  /// The in-neighbours of `node` and their coefficients for `head`.
  std::vector<std::pair<NodeId, T>> in_edges(NodeId node, int head) const;
};

/// What a caller may ask a model's forward pass to hand back besides its
/// output.
template <class T>
struct Inspection {
  /// One entry per attention layer, in order (left empty by models without
  /// attention).
  std::vector<Attention<T>>* attention = nullptr;
  /// The last hidden representation, the input of the output layer (before
  /// its dropout): what over-smoothing flattens.
  Tensor<T>* last_hidden = nullptr;
  /// Attention pooling's weight of each node within its graph (N x 1), for
  /// graph-level models with that readout.
  Tensor<T>* pooling = nullptr;
};

/// Normalisation after each hidden layer of a stack.
enum class Normalisation { kNone, kLayer, kBatch };
/// Where feature dropout acts in the GAT paper's two-layer model: the GAT
/// authors' code drops each head's input with its own mask and the projected
/// features that are aggregated; PyG's example drops each layer's input once.
/// Deeper stacks, and layers without per-head dropout, drop each layer's input.
enum class FeatureDropout { kPerHead, kLayerInput };
/// The non-linearity between stacked layers.
enum class Activation { kELU, kReLU };
/// How a graph-level model pools each graph's nodes into one row before its
/// MLP head (nn/graph_readout.hpp); none: a node-level model.
enum class Readout { kNone, kSum, kMean, kMax, kAttention };
/// How a graph transformer's attention runs (nn/graph_transformer.hpp).
enum class AttentionMode { kGraph, kDenseMasked, kDense, kGraphAndDense };

/// Each enum's names, as settings files and flags spell them; `kSetting`
/// names the setting in errors.
template <class E>
struct EnumNames;
template <>
struct EnumNames<Normalisation> {
  static constexpr const char* kSetting = "norm";
  static constexpr std::array<std::pair<Normalisation, const char*>, 3> kAll{
      {{Normalisation::kNone, "none"},
       {Normalisation::kLayer, "layer"},
       {Normalisation::kBatch, "batch"}}};
};
template <>
struct EnumNames<FeatureDropout> {
  static constexpr const char* kSetting = "feature_dropout";
  static constexpr std::array<std::pair<FeatureDropout, const char*>, 2> kAll{
      {{FeatureDropout::kPerHead, "per-head"}, {FeatureDropout::kLayerInput, "layer-input"}}};
};
template <>
struct EnumNames<Activation> {
  static constexpr const char* kSetting = "activation";
  static constexpr std::array<std::pair<Activation, const char*>, 2> kAll{
      {{Activation::kELU, "elu"}, {Activation::kReLU, "relu"}}};
};
template <>
struct EnumNames<Readout> {
  static constexpr const char* kSetting = "readout";
  static constexpr std::array<std::pair<Readout, const char*>, 5> kAll{
      {{Readout::kNone, "none"},
       {Readout::kSum, "sum"},
       {Readout::kMean, "mean"},
       {Readout::kMax, "max"},
       {Readout::kAttention, "attention"}}};
};
template <>
struct EnumNames<AttentionMode> {
  static constexpr const char* kSetting = "attention";
  static constexpr std::array<std::pair<AttentionMode, const char*>, 4> kAll{
      {{AttentionMode::kGraph, "graph"},
       {AttentionMode::kDenseMasked, "dense-masked"},
       {AttentionMode::kDense, "dense"},
       {AttentionMode::kGraphAndDense, "graph+dense"}}};
};

/// The name of an enum value ("layer").
template <class E>
const char* name_of(E value) {
  for (const auto& [v, name] : EnumNames<E>::kAll) {
    if (v == value) return name;
  }
  return "?";
}

/// Every name of an enum, in declaration order.
template <class E>
std::vector<std::string> names_of() {
  std::vector<std::string> names;
  for (const auto& entry : EnumNames<E>::kAll) names.emplace_back(entry.second);
  return names;
}

/// "a, b or c", for messages that list the choices.
inline std::string one_of(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t k = 0; k < names.size(); ++k) {
    text += (k == 0 ? "" : k + 1 == names.size() ? " or " : ", ") + names[k];
  }
  return text;
}

/// The value named `text`; heed::Error naming the setting and the choices.
template <class E>
E parse_name(std::string_view text) {
  for (const auto& [v, name] : EnumNames<E>::kAll) {
    if (text == name) return v;
  }
  throw Error(std::string("unknown ") + EnumNames<E>::kSetting + " '" + std::string(text) +
              "' (expected " + one_of(names_of<E>()) + ")");
}

/// What a stack (or a benchmark) asks of one conv layer; each conv maps it
/// onto its own options. Multi-head layers have heads x out_channels outputs
/// when concatenating, out_channels when averaging.
struct LayerSpec {
  int in_channels = 0;
  int out_channels = 0;  // per head for multi-head layers
  int heads = 1;
  bool concat = true;
  double dropout = 0.0;          // on attention coefficients, in training
  double feature_dropout = 0.0;  // per-head input dropout (layers that have it)
  double negative_slope = 0.2;
  int edge_dim = 0;  // features per edge (layers that take them)
  /// The conv's own settings by name (ConvTraits::options), as numbers (0 or
  /// 1 for switches); a setting not given takes its default.
  std::map<std::string, double> options;

  /// The value of the conv's own setting `name`, or `fallback`.
  double option(const std::string& name, double fallback) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

/// One of a conv's own settings, with PyG's name and default.
struct ConvOption {
  std::string name;
  double default_value = 0;
  std::string help;
};

/// What the papers used with a model, applied where the user sets nothing.
struct PaperDefaults {
  int hidden_channels = 8;
  double dropout = 0.6;
  double lr = 0.005;
  int max_epochs = 100000;
};

/// What the registry, the CLI, the stack and the benchmark need to know of a
/// conv.
struct ConvTraits {
  std::string name;                           // heed train --model, heed bench --layer, checkpoints
  std::string summary;                        // one line for --help
  bool multi_head = false;                    // heads / concat apply
  bool attends = false;                       // has attention coefficients and attention dropout
  bool per_head_input_dropout = false;        // FeatureDropout::kPerHead
  bool edge_features = false;                 // takes edge_attr (edge_dim)
  Activation activation = Activation::kReLU;  // between stacked layers
  PaperDefaults defaults;
  std::vector<ConvOption> options;
};

/// A message-passing layer: node features and a graph in, node features out.
/// Every conv has the same two forward overloads; the graph must outlive the
/// tape. With `attention` set, layers that attend store their coefficients
/// (before dropout) and the graph they belong to there.
template <class T>
class Conv {
 public:
  virtual ~Conv() = default;

  /// x is N x in_channels, one row per node of `graph`.
  Var<T> forward(Var<T> x, const Graph& graph, const ForwardContext& context,
                 Attention<T>* attention = nullptr) {
    return run(x, graph, nullptr, context, attention);
  }
  /// With edge features: edge_attr is E x edge_dim, one row per edge id of
  /// `graph` (self loops a layer adds get the mean of their node's in-edges').
  Var<T> forward(Var<T> x, const Graph& graph, Var<T> edge_attr, const ForwardContext& context,
                 Attention<T>* attention = nullptr) {
    return run(x, graph, &edge_attr, context, attention);
  }

  virtual std::vector<Parameter<T>*> parameters() = 0;
  /// Output features per node.
  virtual int out_width() const = 0;

 protected:
  virtual Var<T> run(Var<T> x, const Graph& graph, const Var<T>* edge_attr,
                     const ForwardContext& context, Attention<T>* attention) = 0;
};

/// heed::Error, naming `layer`, unless x has one row per node of `graph` and
/// `in_channels` columns. Reads only the shape, so deferred inputs stay so.
template <class T>
void check_node_input(Var<T> x, const Graph& graph, int in_channels, const char* layer) {
  if (x.cols() != std::size_t(in_channels)) {
    throw Error(std::string(layer) + ": input has " + std::to_string(x.cols()) +
                " features, the layer expects in_channels = " + std::to_string(in_channels));
  }
  if (std::int64_t(x.rows()) != graph.num_nodes()) {
    throw Error(std::string(layer) + ": input has " + std::to_string(x.rows()) +
                " rows, the graph " + std::to_string(graph.num_nodes()) + " nodes");
  }
}

/// heed::Error, naming `layer`, if edge features were passed to a layer
/// that takes none.
template <class T>
void reject_edge_input(const Var<T>* edge_attr, const char* layer) {
  if (edge_attr != nullptr) {
    throw Error(std::string(layer) + ": takes no edge features (edge_dim)");
  }
}

extern template struct Attention<float>;
extern template struct Attention<double>;

}  // namespace heed::nn
