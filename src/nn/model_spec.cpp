#include "heed/nn/model_spec.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "heed/error.hpp"
#include "heed/nn/conv_registry.hpp"

namespace heed::nn {
namespace {

constexpr int kLargest = 1 << 24;

[[noreturn]] void fail(const std::string& what) {
  throw Error("model: " + what);
}

void in_range(long long value, long long low, long long high, const char* setting) {
  if (value < low || value > high) {
    fail(std::string(setting) + " must be " + std::to_string(low) + " to " + std::to_string(high) +
         ", got " + std::to_string(value));
  }
}

void probability(double p, const char* setting) {
  if (!(p >= 0.0 && p < 1.0))
    fail(std::string(setting) + " must be in [0, 1), got " + std::to_string(p));
}

// The non-conv kinds of a sequential model's modules.
constexpr const char* kLinear = "linear";
constexpr const char* kElu = "elu";
constexpr const char* kRelu = "relu";
constexpr const char* kDropout = "dropout";

std::vector<std::string> module_kinds() {
  std::vector<std::string> kinds = conv_names();
  for (const char* k : {kLinear, kElu, kRelu, kDropout}) kinds.emplace_back(k);
  return kinds;
}

// Options by name against the ones a module has.
void check_options(const std::map<std::string, double>& given, const std::vector<ConvOption>& known,
                   const std::string& who) {
  for (const auto& [name, value] : given) {
    bool found = false;
    std::vector<std::string> names;
    for (const ConvOption& o : known) {
      found = found || o.name == name;
      names.push_back(o.name);
    }
    if (!found) {
      fail("conv option '" + name + "' is not one of " + who + "'s" +
           (names.empty() ? std::string(" (it has none)") : " (" + one_of(names) + ")"));
    }
    if (!std::isfinite(value)) fail("conv option '" + name + "' must be a finite number");
  }
}

// A sequential model: each module's sizes follow from the one before.
void validate_modules(const ModelSpec& spec) {
  if (spec.modules.empty()) fail("a sequential model needs at least one module");
  in_range(spec.modules.size(), 1, 1 << 16, "modules");
  long long width = spec.in_channels;
  for (std::size_t k = 0; k < spec.modules.size(); ++k) {
    const ModuleSpec& m = spec.modules[k];
    const LayerSpec& l = m.layer;
    const std::string who =
        "module " + std::to_string(k) + (m.name.empty() ? std::string() : " (" + m.name + ")");
    try {
      const std::vector<std::string> kinds = module_kinds();
      if (std::find(kinds.begin(), kinds.end(), m.kind) == kinds.end()) {
        fail("unknown kind '" + m.kind + "' (expected " + one_of(kinds) + ")");
      }
      if (m.kind == kElu || m.kind == kRelu) continue;
      if (m.kind == kDropout) {
        probability(l.dropout, "dropout");
        continue;
      }
      if (l.in_channels != width) {
        fail("in_channels is " + std::to_string(l.in_channels) + ", but " +
             (k == 0 ? std::string("the model takes ") : std::string("the module before gives ")) +
             std::to_string(width));
      }
      in_range(l.out_channels, 1, kLargest, "out_channels");
      in_range((long long)l.in_channels * l.out_channels * std::max(l.heads, 1), 1, 1LL << 30,
               "in_channels x out_channels x heads");
      if (m.kind == kLinear) {
        check_options(l.options, {{"bias", 1, ""}}, "linear");
      } else {
        const ConvTraits& t = conv_info(m.kind).traits;
        in_range(l.heads, 1, t.multi_head ? kLargest : 1, "heads");
        probability(l.dropout, "dropout");
        if (!(std::isfinite(l.negative_slope) && l.negative_slope >= 0)) {
          fail("negative_slope must be a finite number >= 0");
        }
        if (l.edge_dim != 0 && (!t.edge_features || l.edge_dim != spec.edge_dim)) {
          fail(t.edge_features ? "edge_dim is " + std::to_string(l.edge_dim) + ", the model's " +
                                     std::to_string(spec.edge_dim)
                               : "edge_dim: " + m.kind + " takes no edge features");
        }
        check_options(l.options, t.options, m.kind);
      }
      width = m.out_width(int(width));
    } catch (const Error& e) {
      fail(who + ": " + std::string(e.what()).substr(std::string("model: ").size()));
    }
  }
  if (width != spec.out_channels) {
    fail("the last module gives " + std::to_string(width) + " features, but out_channels is " +
         std::to_string(spec.out_channels));
  }
}

}  // namespace

bool ModuleSpec::is_conv() const {
  for (const std::string& n : conv_names()) {
    if (n == kind) return true;
  }
  return false;
}

int ModuleSpec::out_width(int in_width) const {
  if (kind == kElu || kind == kRelu || kind == kDropout) return in_width;
  if (kind == kLinear) return layer.out_channels;
  const bool multi_head = conv_info(kind).traits.multi_head;
  return multi_head && layer.concat ? layer.heads * layer.out_channels : layer.out_channels;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names = conv_names();
  names.emplace_back(kTransformerModel);
  return names;
}

PaperDefaults paper_defaults(const std::string& model) {
  if (model == kTransformerModel || model == kSequentialModel) return PaperDefaults{};
  return conv_info(model).traits.defaults;
}

int ModelSpec::hidden_width() const {
  if (is_sequential()) return 0;
  if (is_transformer() || conv_info(model).traits.multi_head) return heads * hidden_channels;
  return hidden_channels;
}

bool ModelSpec::per_head_dropout() const {
  return !is_transformer() && !is_sequential() && !is_graph_level() &&
         feature_dropout == FeatureDropout::kPerHead && layers == 2 && !residual &&
         norm == Normalisation::kNone && conv_info(model).traits.per_head_input_dropout;
}

void ModelSpec::validate() const {
  if (is_sequential()) {
    in_range(in_channels, 1, kLargest, "in_channels");
    in_range(out_channels, 1, kLargest, "out_channels");
    in_range(edge_dim, 0, kLargest, "edge_dim");
    if (is_graph_level()) fail("readout: a sequential model has no readout");
    validate_modules(*this);
    return;
  }
  if (!modules.empty()) fail("modules apply to a sequential model only, not to " + model);
  in_range(head_hidden, 0, kLargest, "head_hidden");
  if (readout_every_layer && is_transformer()) {
    fail("readout_every_layer: the transformer pools its last block only");
  }
  if (!is_graph_level() && head_hidden != 0) {
    fail("head_hidden applies to graph-level models (a readout) only");
  }
  if (!is_graph_level() && readout_every_layer) {
    fail("readout_every_layer applies to graph-level models (a readout) only");
  }
  if (!is_transformer()) {
    bool known = false;
    for (const std::string& n : conv_names()) known = known || n == model;
    if (!known) fail("unknown model '" + model + "' (expected " + one_of(model_names()) + ")");
  }
  in_range(in_channels, 1, kLargest, "in_channels");
  in_range(out_channels, 1, kLargest, "out_channels");
  in_range(hidden_channels, 1, kLargest, "hidden_channels");
  in_range(heads, 1, kLargest, "heads");
  in_range(output_heads, 1, kLargest, "output_heads");
  in_range(layers, 1, 1 << 16, "layers");
  in_range(edge_dim, 0, kLargest, "edge_dim");
  in_range(ffn_hidden, 0, kLargest, "ffn_hidden");
  in_range(laplacian_k, 0, 1 << 16, "laplacian_k");
  // The largest weights a model holds are about in x width and width x width:
  // bound them before anything is allocated.
  in_range((long long)heads * hidden_channels, 1, kLargest, "heads x hidden_channels");
  in_range((long long)output_heads * out_channels, 1, kLargest, "output_heads x out_channels");
  const long long width = hidden_width();
  in_range((long long)in_channels * width, 1, 1LL << 30, "in_channels x hidden width");
  probability(dropout, "dropout");
  probability(attention_dropout, "attention_dropout");
  if (!(std::isfinite(negative_slope) && negative_slope >= 0)) {
    fail("negative_slope must be a finite number >= 0, got " + std::to_string(negative_slope));
  }
  if (is_transformer()) {
    if (!conv_options.empty()) fail("the transformer has no conv options");
    if (edge_dim != 0) fail("edge_dim: the transformer takes no edge features");
    return;
  }
  const ConvTraits& t = conv_info(model).traits;
  if (edge_dim > 0 && !t.edge_features) fail("edge_dim: " + model + " takes no edge features");
  check_options(conv_options, t.options, model);
  const char* only = nullptr;
  if (attention != AttentionMode::kGraph) only = "attention";
  if (ffn_hidden != 0) only = "ffn_hidden";
  if (laplacian_k != 0) only = "laplacian_k";
  if (norm_first) only = "norm_first";
  if (only) fail(std::string(only) + " applies to the transformer only, not to " + model);
}

void to_json(nlohmann::json& j, const ModelSpec& s) {
  j = {{"model", s.model},
       {"in_channels", s.in_channels},
       {"hidden_channels", s.hidden_channels},
       {"heads", s.heads},
       {"out_channels", s.out_channels},
       {"output_heads", s.output_heads},
       {"dropout", s.dropout},
       {"attention_dropout", s.attention_dropout},
       {"negative_slope", s.negative_slope},
       {"feature_dropout", name_of(s.feature_dropout)},
       {"layers", s.layers},
       {"residual", s.residual},
       {"norm", name_of(s.norm)},
       {"edge_dim", s.edge_dim},
       {"conv_options", s.conv_options},
       {"attention", name_of(s.attention)},
       {"ffn_hidden", s.ffn_hidden},
       {"laplacian_k", s.laplacian_k},
       {"norm_first", s.norm_first},
       {"readout", name_of(s.readout)},
       {"head_hidden", s.head_hidden},
       {"readout_every_layer", s.readout_every_layer}};
  if (s.is_sequential()) {
    nlohmann::json modules = nlohmann::json::array();
    for (const ModuleSpec& m : s.modules) {
      nlohmann::json j_m = {{"kind", m.kind}, {"name", m.name}};
      const LayerSpec& l = m.layer;
      if (m.kind == kDropout) j_m["dropout"] = l.dropout;
      if (m.kind == kLinear || m.is_conv()) {
        j_m["in_channels"] = l.in_channels;
        j_m["out_channels"] = l.out_channels;
        j_m["options"] = l.options;
      }
      if (m.is_conv()) {
        j_m["heads"] = l.heads;
        j_m["concat"] = l.concat;
        j_m["dropout"] = l.dropout;
        j_m["negative_slope"] = l.negative_slope;
        j_m["edge_dim"] = l.edge_dim;
      }
      modules.push_back(std::move(j_m));
    }
    j["modules"] = std::move(modules);
  }
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

// A field that older files lack: its default when absent.
template <class V>
V optional_field(const nlohmann::json& j, const char* name, V fallback,
                 const std::string& context) {
  return j.contains(name) ? field<V>(j, name, context) : fallback;
}

template <class E>
E enum_field(const nlohmann::json& j, const char* name, E fallback, const std::string& context) {
  if (!j.contains(name)) return fallback;
  try {
    return parse_name<E>(field<std::string>(j, name, context));
  } catch (const Error& e) {
    throw Error(context + ": model field '" + name + "': " + e.what());
  }
}

}  // namespace

ModelSpec model_spec_from_json(const nlohmann::json& j, const std::string& context) {
  if (!j.is_object()) throw Error(context + ": the model description is not a JSON object");
  ModelSpec s;
  s.model = field<std::string>(j, "model", context);
  s.in_channels = field<int>(j, "in_channels", context);
  s.hidden_channels = field<int>(j, "hidden_channels", context);
  s.heads = field<int>(j, "heads", context);
  s.out_channels = field<int>(j, "out_channels", context);
  s.output_heads = field<int>(j, "output_heads", context);
  s.dropout = field<double>(j, "dropout", context);
  s.attention_dropout = field<double>(j, "attention_dropout", context);
  s.negative_slope = field<double>(j, "negative_slope", context);
  if (!j.contains("feature_dropout"))
    throw Error(context + ": model field 'feature_dropout' is missing");
  s.feature_dropout = enum_field(j, "feature_dropout", s.feature_dropout, context);
  s.layers = field<int>(j, "layers", context);
  s.residual = field<bool>(j, "residual", context);
  if (!j.contains("norm")) throw Error(context + ": model field 'norm' is missing");
  s.norm = enum_field(j, "norm", s.norm, context);
  s.edge_dim = optional_field<int>(j, "edge_dim", 0, context);
  s.conv_options = optional_field<std::map<std::string, double>>(j, "conv_options", {}, context);
  s.attention = enum_field(j, "attention", s.attention, context);
  s.ffn_hidden = optional_field<int>(j, "ffn_hidden", 0, context);
  s.laplacian_k = optional_field<int>(j, "laplacian_k", 0, context);
  s.norm_first = optional_field<bool>(j, "norm_first", false, context);
  s.readout = enum_field(j, "readout", s.readout, context);
  s.head_hidden = optional_field<int>(j, "head_hidden", 0, context);
  s.readout_every_layer = optional_field<bool>(j, "readout_every_layer", false, context);
  if (j.contains("modules")) {
    const nlohmann::json& modules = j.at("modules");
    if (!modules.is_array()) throw Error(context + ": model field 'modules' is not a list");
    for (std::size_t k = 0; k < modules.size(); ++k) {
      const nlohmann::json& j_m = modules[k];
      const std::string where = context + ": module " + std::to_string(k);
      if (!j_m.is_object()) throw Error(where + " is not a JSON object");
      ModuleSpec m;
      m.kind = field<std::string>(j_m, "kind", where);
      m.name = optional_field<std::string>(j_m, "name", "", where);
      LayerSpec& l = m.layer;
      l.in_channels = optional_field<int>(j_m, "in_channels", 0, where);
      l.out_channels = optional_field<int>(j_m, "out_channels", 0, where);
      l.heads = optional_field<int>(j_m, "heads", 1, where);
      l.concat = optional_field<bool>(j_m, "concat", true, where);
      l.dropout = optional_field<double>(j_m, "dropout", 0.0, where);
      l.negative_slope = optional_field<double>(j_m, "negative_slope", 0.2, where);
      l.edge_dim = optional_field<int>(j_m, "edge_dim", 0, where);
      l.options = optional_field<std::map<std::string, double>>(j_m, "options", {}, where);
      s.modules.push_back(std::move(m));
    }
  }
  try {
    s.validate();
  } catch (const Error& e) {
    throw Error(context + ": " + e.what());
  }
  return s;
}

}  // namespace heed::nn
