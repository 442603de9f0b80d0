#include "pyg_modules.hpp"

#include <set>

#include "heed/error.hpp"

namespace heed::interop {
namespace {

// The classes heed reads, for messages.
constexpr const char* kSupported = "GATConv, GATv2Conv, GCNConv, Linear, ELU, ReLU and Dropout";

// A layer's constructor arguments, read one by one; finish() refuses any
// argument nobody read, so that none is silently ignored.
class Arguments {
 public:
  Arguments(const nlohmann::json& layer, std::string where, std::string cls)
      : layer_(layer), where_(std::move(where)), cls_(std::move(cls)) {}

  bool has(const char* name) const { return layer_.contains(name) && !layer_[name].is_null(); }

  int integer(const char* name, std::optional<int> fallback = std::nullopt) {
    read_.insert(name);
    if (!has(name)) return required(name, fallback);
    const nlohmann::json& v = layer_[name];
    if (!v.is_number_integer()) fail(name, "must be an integer, got " + v.dump());
    const long long n = v.get<long long>();
    if (n < 1 || n > (1 << 24)) {
      fail(name, n == -1 ? std::string("is -1 (lazy initialisation): heed needs the size")
                         : "must be 1 to " + std::to_string(1 << 24) + ", got " + v.dump());
    }
    return int(n);
  }
  bool boolean(const char* name, bool fallback) {
    read_.insert(name);
    if (!has(name)) return fallback;
    if (!layer_[name].is_boolean()) fail(name, "must be true or false, got " + layer_[name].dump());
    return layer_[name].get<bool>();
  }
  double number(const char* name, double fallback) {
    read_.insert(name);
    if (!has(name)) return fallback;
    if (!layer_[name].is_number()) fail(name, "must be a number, got " + layer_[name].dump());
    return layer_[name].get<double>();
  }
  // An argument heed has no use for but that changes nothing it computes.
  void ignore(const char* name) { read_.insert(name); }
  // An argument that must keep the one value heed implements.
  void require(const char* name, const nlohmann::json& value, const char* why) {
    read_.insert(name);
    if (has(name) && layer_[name] != value) {
      fail(name, "is " + layer_[name].dump() + ", but heed supports only " + value.dump() + " (" +
                     why + ")");
    }
  }
  void finish() const {
    for (const auto& [key, value] : layer_.items()) {
      if (key == "name" || key == "cls" || read_.count(key)) continue;
      throw Error(where_ + ": " + cls_ + " argument '" + key + "' is not supported");
    }
  }
  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    throw Error(where_ + ": " + cls_ + " argument '" + name + "' " + what);
  }

 private:
  int required(const char* name, std::optional<int> fallback) const {
    if (!fallback) throw Error(where_ + ": " + cls_ + " needs the argument '" + name + "'");
    return *fallback;
  }

  const nlohmann::json& layer_;
  std::string where_;
  std::string cls_;
  std::set<std::string> read_;
};

// in_channels of a message-passing layer: one size (PyG also takes a pair,
// for bipartite graphs, which heed's layers do not run on).
int in_channels(Arguments& a, const nlohmann::json& layer) {
  if (layer.contains("in_channels") && layer["in_channels"].is_array()) {
    a.fail("in_channels", "is a pair (a bipartite layer), which heed does not support");
  }
  return a.integer("in_channels");
}

void attention_arguments(Arguments& a, const nlohmann::json& layer, nn::LayerSpec& l) {
  l.in_channels = in_channels(a, layer);
  l.out_channels = a.integer("out_channels");
  l.heads = a.integer("heads", 1);
  l.concat = a.boolean("concat", true);
  l.negative_slope = a.number("negative_slope", 0.2);
  l.dropout = a.number("dropout", 0.0);
  if (!(l.dropout >= 0 && l.dropout < 1)) a.fail("dropout", "must be in [0, 1)");
  l.options["add_self_loops"] = a.boolean("add_self_loops", true);
  l.options["bias"] = a.boolean("bias", true);
  l.edge_dim = a.has("edge_dim") ? a.integer("edge_dim") : 0;
  a.ignore("edge_dim");
  a.require("fill_value", "mean", "self loops' edge features are the mean of the node's in-edges'");
}

}  // namespace

nn::ModuleSpec module_from_pyg(const nlohmann::json& layer, const std::string& where) {
  if (!layer.is_object()) throw Error(where + " is not a JSON object");
  if (!layer.contains("cls") || !layer["cls"].is_string()) {
    throw Error(where + " has no class ('cls')");
  }
  nn::ModuleSpec m;
  const std::string cls = layer["cls"].get<std::string>();
  m.name = layer.contains("name") && layer["name"].is_string() ? layer["name"].get<std::string>()
                                                               : std::string();
  const std::string at = where + (m.name.empty() ? std::string() : " (" + m.name + ")");
  Arguments a(layer, at, cls);
  nn::LayerSpec& l = m.layer;
  if (cls == "GATConv") {
    m.kind = "gat";
    attention_arguments(a, layer, l);
  } else if (cls == "GATv2Conv") {
    m.kind = "gatv2";
    attention_arguments(a, layer, l);
    l.options["share_weights"] = a.boolean("share_weights", false);
    // PyG's bias switches the projections' biases and the output bias together.
    l.options["projection_bias"] = l.options["bias"];
  } else if (cls == "GCNConv") {
    m.kind = "gcn";
    l.in_channels = in_channels(a, layer);
    l.out_channels = a.integer("out_channels");
    l.options["add_self_loops"] = a.boolean("add_self_loops", true);
    l.options["normalize"] = a.boolean("normalize", true);
    l.options["bias"] = a.boolean("bias", true);
    a.require("improved", false, "self loops of weight 1, as in the GCN paper");
    a.ignore("cached");  // a speed-up that does not change the result
  } else if (cls == "Linear") {
    m.kind = "linear";
    // torch.nn.Linear's names, or torch_geometric.nn.Linear's.
    const bool torch = a.has("in_features") || a.has("out_features");
    l.in_channels = torch ? a.integer("in_features") : a.integer("in_channels");
    l.out_channels = torch ? a.integer("out_features") : a.integer("out_channels");
    l.options["bias"] = a.boolean("bias", true);
    a.ignore("weight_initializer");
    a.ignore("bias_initializer");
  } else if (cls == "ELU") {
    m.kind = "elu";
    a.require("alpha", 1.0, "ELU with alpha 1");
    a.ignore("inplace");
  } else if (cls == "ReLU") {
    m.kind = "relu";
    a.ignore("inplace");
  } else if (cls == "Dropout") {
    m.kind = "dropout";
    l.dropout = a.number("p", 0.5);
    if (!(l.dropout >= 0 && l.dropout < 1)) a.fail("p", "must be in [0, 1)");
    a.ignore("inplace");
  } else {
    throw Error(at + ": " + cls + " is not supported (heed imports " + kSupported + ")");
  }
  a.finish();
  return m;
}

nlohmann::json module_to_pyg(const nn::ModuleSpec& m) {
  const nn::LayerSpec& l = m.layer;
  nlohmann::json j = {{"name", m.name}};
  auto flag = [&](const char* option, double fallback) { return l.option(option, fallback) != 0; };
  if (m.kind == "gat" || m.kind == "gatv2") {
    j["cls"] = m.kind == "gat" ? "GATConv" : "GATv2Conv";
    j["in_channels"] = l.in_channels;
    j["out_channels"] = l.out_channels;
    j["heads"] = l.heads;
    j["concat"] = l.concat;
    j["negative_slope"] = l.negative_slope;
    j["dropout"] = l.dropout;
    j["add_self_loops"] = flag("add_self_loops", 1);
    j["bias"] = flag("bias", 1);
    if (l.edge_dim > 0) j["edge_dim"] = l.edge_dim;
    if (m.kind == "gatv2") {
      j["share_weights"] = flag("share_weights", 0);
      if (flag("projection_bias", 0) && !flag("bias", 1)) {
        throw Error("PyG export: " + m.name +
                    " has projection biases but no output bias, which PyG's GATv2Conv cannot "
                    "express (its bias switches both)");
      }
    }
  } else if (m.kind == "gcn") {
    j["cls"] = "GCNConv";
    j["in_channels"] = l.in_channels;
    j["out_channels"] = l.out_channels;
    j["add_self_loops"] = flag("add_self_loops", 1);
    j["normalize"] = flag("normalize", 1);
    j["bias"] = flag("bias", 1);
  } else if (m.kind == "linear") {
    j["cls"] = "Linear";
    j["in_features"] = l.in_channels;
    j["out_features"] = l.out_channels;
    j["bias"] = flag("bias", 1);
  } else if (m.kind == "elu") {
    j["cls"] = "ELU";
  } else if (m.kind == "relu") {
    j["cls"] = "ReLU";
  } else if (m.kind == "dropout") {
    j["cls"] = "Dropout";
    j["p"] = l.dropout;
  } else {
    throw Error("PyG export: " + m.kind + " has no PyG module heed writes (it writes " +
                kSupported + ")");
  }
  return j;
}

ModuleTensors module_tensors(const nn::ModuleSpec& m) {
  using L = Layout;
  ModuleTensors t;
  const nn::LayerSpec& l = m.layer;
  if (m.kind == "gat") {
    t.tensors = {{"weight", "lin_src.weight", L::kTransposed},
                 {"att_src", "att_src", L::kHeads},
                 {"att_dst", "att_dst", L::kHeads},
                 {"weight_edge", "lin_edge.weight", L::kTransposed},
                 {"att_edge", "att_edge", L::kHeads},
                 {"bias", "bias", L::kVector}};
    // One Linear for sources and destinations, listed under both names.
    t.aliases = {{"lin_dst.weight", "lin_src.weight"}};
  } else if (m.kind == "gatv2") {
    t.tensors = {{"weight_src", "lin_l.weight", L::kTransposed},
                 {"bias_src", "lin_l.bias", L::kVector},
                 {"weight_dst", "lin_r.weight", L::kTransposed},
                 {"bias_dst", "lin_r.bias", L::kVector},
                 {"att", "att", L::kHeads},
                 {"weight_edge", "lin_edge.weight", L::kTransposed},
                 {"bias", "bias", L::kVector}};
    const bool share = l.option("share_weights", 0) != 0;
    if (share) t.aliases = {{"lin_r.weight", "lin_l.weight"}, {"lin_r.bias", "lin_l.bias"}};
    if (l.option("bias", 1) != 0 && l.option("projection_bias", 0) == 0) {
      const std::int64_t width = std::int64_t(l.heads) * l.out_channels;
      t.zeros.emplace_back("lin_l.bias", width);
      if (!share) t.zeros.emplace_back("lin_r.bias", width);
    }
  } else if (m.kind == "gcn") {
    t.tensors = {{"weight", "lin.weight", L::kTransposed}, {"bias", "bias", L::kVector}};
  } else if (m.kind == "linear") {
    t.tensors = {{"lin.weight", "weight", L::kTransposed}, {"lin.bias", "bias", L::kVector}};
  }
  return t;
}

data::SafeTensor to_pyg(const Tensor<float>& value, Layout layout, const nn::ModuleSpec& m) {
  const std::int64_t rows = std::int64_t(value.rows()), cols = std::int64_t(value.cols());
  switch (layout) {
    case Layout::kTransposed: {
      std::vector<float> t(value.size());
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) t[std::size_t(c * rows + r)] = value(r, c);
      }
      return data::SafeTensor::from_floats(t, {cols, rows});
    }
    case Layout::kHeads:
      return data::SafeTensor::from_floats(value.values(),
                                           {1, m.layer.heads, rows * cols / m.layer.heads});
    case Layout::kVector:
      break;
  }
  return data::SafeTensor::from_floats(value.values(), {rows * cols});
}

Tensor<float> from_pyg(const data::SafeTensor& t, Layout layout, const nn::ModuleSpec& m,
                       std::size_t rows, std::size_t cols, const std::string& where) {
  std::vector<std::int64_t> want;
  const std::int64_t r = std::int64_t(rows), c = std::int64_t(cols);
  switch (layout) {
    case Layout::kTransposed:
      want = {c, r};
      break;
    case Layout::kHeads:
      want = {1, m.layer.heads, r * c / m.layer.heads};
      break;
    case Layout::kVector:
      want = {r * c};
      break;
  }
  auto shape_text = [](const std::vector<std::int64_t>& s) {
    std::string text = "[";
    for (std::size_t k = 0; k < s.size(); ++k) text += (k ? ", " : "") + std::to_string(s[k]);
    return text + "]";
  };
  if (t.shape != want) {
    throw Error(where + " has shape " + shape_text(t.shape) + ", the model needs " +
                shape_text(want));
  }
  const std::vector<float> v = t.to_floats(where);
  Tensor<float> out(rows, cols);
  if (layout == Layout::kTransposed) {
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t k = 0; k < cols; ++k) out(i, k) = v[k * rows + i];
    }
  } else {
    std::copy(v.begin(), v.end(), out.data());
  }
  return out;
}

}  // namespace heed::interop
