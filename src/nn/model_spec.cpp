#include "heed/nn/model_spec.hpp"

#include <nlohmann/json.hpp>

#include "heed/error.hpp"
#include "heed/nn/gatv2.hpp"
#include "heed/nn/gcn.hpp"
#include "heed/nn/graph_sage.hpp"

namespace heed::nn {

std::unique_ptr<NodeModel<float>> make_model(const ModelSpec& spec, Rng& rng) {
  const GATOptions& o = spec.sizes;
  if (spec.kind == ConvKind::kTransformer) {
    GraphTransformerOptions t;
    t.in_channels = o.in_channels;
    t.out_channels = o.out_channels;
    t.heads = o.heads;
    t.hidden = o.heads * o.hidden_channels;
    t.ffn_hidden = spec.ffn_hidden > 0 ? spec.ffn_hidden : 2 * t.hidden;
    t.layers = spec.layers;
    t.dropout = o.dropout;
    t.attention_dropout = o.attention_dropout;
    t.attention = spec.attention;
    t.laplacian_k = spec.laplacian_k;
    t.norm_first = spec.norm_first;
    return std::make_unique<GraphTransformer<float>>(t, rng);
  }
  if (spec.is_stack()) {
    GNNStackOptions s;
    s.conv = spec.kind;
    s.in_channels = o.in_channels;
    s.hidden_channels = o.hidden_channels;
    s.heads = o.heads;
    s.out_channels = o.out_channels;
    s.output_heads = o.output_heads;
    s.layers = spec.layers;
    s.residual = spec.residual;
    s.norm = spec.norm;
    s.dropout = o.dropout;
    s.attention_dropout = o.attention_dropout;
    s.negative_slope = o.negative_slope;
    return std::make_unique<GNNStack<float>>(s, rng);
  }
  switch (spec.kind) {
    case ConvKind::kGAT:
      return std::make_unique<GAT<float>>(o, rng);
    case ConvKind::kGATv2:
      return std::make_unique<GATv2<float>>(o, rng);
    case ConvKind::kGCN:
      return std::make_unique<GCN<float>>(
          GCNOptions{o.in_channels, o.hidden_channels, o.out_channels, o.dropout}, rng);
    case ConvKind::kSAGE:
      return std::make_unique<GraphSAGE<float>>(
          GraphSAGEOptions{o.in_channels, o.hidden_channels, o.out_channels, o.dropout}, rng);
    case ConvKind::kTransformer:
      break;
  }
  throw Error("make_model: unknown model kind");
}

std::string to_json_text(const ModelSpec& spec) {
  const GATOptions& o = spec.sizes;
  nlohmann::json j = {{"model", conv_kind_name(spec.kind)},
                      {"in_channels", o.in_channels},
                      {"hidden_channels", o.hidden_channels},
                      {"heads", o.heads},
                      {"out_channels", o.out_channels},
                      {"output_heads", o.output_heads},
                      {"dropout", o.dropout},
                      {"attention_dropout", o.attention_dropout},
                      {"negative_slope", o.negative_slope},
                      {"feature_dropout",
                       o.feature_dropout == FeatureDropout::kPerHead ? "per-head" : "layer-input"},
                      {"layers", spec.layers},
                      {"residual", spec.residual},
                      {"norm", spec.norm == Normalisation::kLayer ? "layer" : "none"},
                      {"attention", attention_mode_name(spec.attention)},
                      {"ffn_hidden", spec.ffn_hidden},
                      {"laplacian_k", spec.laplacian_k},
                      {"norm_first", spec.norm_first}};
  return j.dump();
}

namespace {

template <class V>
V field(const nlohmann::json& j, const char* name, const std::string& context) {
  if (!j.contains(name)) throw Error(context + ": model field '" + name + "' is missing");
  try {
    return j.at(name).get<V>();
  } catch (const nlohmann::json::exception&) {
    throw Error(context + ": model field '" + name + "' has the wrong type");
  }
}

}  // namespace

ModelSpec model_spec_from_json_text(const std::string& text, const std::string& context) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(context + ": the model description is not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(context + ": the model description is not a JSON object");
  ModelSpec s;
  s.kind = parse_conv_kind(field<std::string>(j, "model", context));
  GATOptions& o = s.sizes;
  o.in_channels = field<int>(j, "in_channels", context);
  o.hidden_channels = field<int>(j, "hidden_channels", context);
  o.heads = field<int>(j, "heads", context);
  o.out_channels = field<int>(j, "out_channels", context);
  o.output_heads = field<int>(j, "output_heads", context);
  o.dropout = field<double>(j, "dropout", context);
  o.attention_dropout = field<double>(j, "attention_dropout", context);
  o.negative_slope = field<double>(j, "negative_slope", context);
  const std::string fd = field<std::string>(j, "feature_dropout", context);
  if (fd != "per-head" && fd != "layer-input") {
    throw Error(context + ": model field 'feature_dropout' is '" + fd +
                "' (expected per-head or layer-input)");
  }
  o.feature_dropout = fd == "per-head" ? FeatureDropout::kPerHead : FeatureDropout::kLayerInput;
  s.layers = field<int>(j, "layers", context);
  s.residual = field<bool>(j, "residual", context);
  const std::string norm = field<std::string>(j, "norm", context);
  if (norm != "none" && norm != "layer") {
    throw Error(context + ": model field 'norm' is '" + norm + "' (expected none or layer)");
  }
  s.norm = norm == "layer" ? Normalisation::kLayer : Normalisation::kNone;
  // Transformer fields, with their defaults where absent.
  if (j.contains("attention")) {
    try {
      s.attention = parse_attention_mode(field<std::string>(j, "attention", context));
    } catch (const Error& e) {
      throw Error(context + ": model field 'attention': " + e.what());
    }
  }
  if (j.contains("ffn_hidden")) {
    s.ffn_hidden = field<int>(j, "ffn_hidden", context);
    if (s.ffn_hidden < 0 || s.ffn_hidden > (1 << 24)) {
      throw Error(context + ": model field 'ffn_hidden' is " + std::to_string(s.ffn_hidden));
    }
  }
  if (j.contains("norm_first")) s.norm_first = field<bool>(j, "norm_first", context);
  if (j.contains("laplacian_k")) {
    s.laplacian_k = field<int>(j, "laplacian_k", context);
    if (s.laplacian_k < 0 || s.laplacian_k > (1 << 16)) {
      throw Error(context + ": model field 'laplacian_k' is " + std::to_string(s.laplacian_k));
    }
  }
  for (auto [v, name] : {std::pair{o.in_channels, "in_channels"},
                         {o.hidden_channels, "hidden_channels"},
                         {o.heads, "heads"},
                         {o.out_channels, "out_channels"},
                         {o.output_heads, "output_heads"},
                         {s.layers, "layers"}}) {
    if (v < 1 || v > (1 << 24)) {
      throw Error(context + ": model field '" + name + "' is " + std::to_string(v) +
                  " (expected 1 to 16777216)");
    }
  }
  return s;
}

}  // namespace heed::nn
