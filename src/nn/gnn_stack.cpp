#include "heed/nn/gnn_stack.hpp"

#include <string>

#include "heed/error.hpp"

namespace heed::nn {

const char* conv_kind_name(ConvKind kind) {
  switch (kind) {
    case ConvKind::kGAT:
      return "gat";
    case ConvKind::kGATv2:
      return "gatv2";
    case ConvKind::kGCN:
      return "gcn";
    case ConvKind::kSAGE:
      return "sage";
    case ConvKind::kTransformer:
      return "transformer";
  }
  return "?";
}

ConvKind parse_conv_kind(const std::string& name) {
  for (ConvKind k : {ConvKind::kGAT, ConvKind::kGATv2, ConvKind::kGCN, ConvKind::kSAGE,
                     ConvKind::kTransformer}) {
    if (name == conv_kind_name(k)) return k;
  }
  throw Error("unknown model '" + name + "' (expected gat, gatv2, gcn, sage or transformer)");
}

namespace {

bool attends(ConvKind kind) {
  return kind == ConvKind::kGAT || kind == ConvKind::kGATv2;
}

void validate(const GNNStackOptions& o) {
  auto positive = [](int v, const char* what) {
    if (v < 1)
      throw Error(std::string("GNN stack: ") + what + " must be >= 1, got " + std::to_string(v));
  };
  positive(o.in_channels, "in_channels");
  positive(o.hidden_channels, "hidden_channels");
  positive(o.heads, "heads");
  positive(o.out_channels, "out_channels");
  positive(o.output_heads, "output_heads");
  positive(o.layers, "layers");
  for (double p : {o.dropout, o.attention_dropout}) {
    if (!(p >= 0.0 && p < 1.0)) {
      throw Error("GNN stack: dropout must be in [0, 1), got " + std::to_string(p));
    }
  }
}

int hidden_width(const GNNStackOptions& o) {
  return attends(o.conv) ? o.heads * o.hidden_channels : o.hidden_channels;
}

}  // namespace

template <class T>
typename GNNStack<T>::Conv GNNStack<T>::make_conv(int layer, Rng& rng) const {
  const GNNStackOptions& o = options_;
  const bool last = layer == o.layers - 1;
  const int in = layer == 0 ? o.in_channels : hidden_width(o);
  const int out = last ? o.out_channels : o.hidden_channels;
  const int heads = last ? o.output_heads : o.heads;
  switch (o.conv) {
    case ConvKind::kGAT: {
      GATConvOptions c;
      c.in_channels = in;
      c.out_channels = out;
      c.heads = heads;
      c.concat = !last;
      c.dropout = o.attention_dropout;
      c.negative_slope = o.negative_slope;
      return Conv(std::in_place_index<0>, c, rng);
    }
    case ConvKind::kGATv2: {
      GATv2ConvOptions c;
      c.in_channels = in;
      c.out_channels = out;
      c.heads = heads;
      c.concat = !last;
      c.dropout = o.attention_dropout;
      c.negative_slope = o.negative_slope;
      return Conv(std::in_place_index<1>, c, rng);
    }
    case ConvKind::kGCN:
      return Conv(std::in_place_index<2>, GCNConvOptions{in, out}, rng);
    case ConvKind::kSAGE:
      return Conv(std::in_place_index<3>, SAGEConvOptions{in, out}, rng);
    case ConvKind::kTransformer:
      break;
  }
  throw Error("GNN stack: unknown layer kind");
}

template <class T>
GNNStack<T>::GNNStack(const GNNStackOptions& options, Rng& rng) : options_(options) {
  validate(options_);
  if (options_.conv == ConvKind::kTransformer) {
    throw Error("GNN stack: transformer layers are built by GraphTransformer, not stacked here");
  }
  convs_.reserve(std::size_t(options_.layers));
  for (int l = 0; l < options_.layers; ++l) convs_.push_back(make_conv(l, rng));
  if (options_.norm == Normalisation::kLayer) {
    const std::size_t width = std::size_t(hidden_width(options_));
    for (int l = 0; l + 1 < options_.layers; ++l) {
      Tensor<T> ones(1, width);
      ones.fill(T(1));
      norm_scale_.emplace_back("norm_scale", std::move(ones), false);
      norm_shift_.emplace_back("norm_shift", Tensor<T>(1, width), false);
    }
  }
}

template <class T>
Var<T> GNNStack<T>::forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                            const ForwardContext& context, const Inspection<T>& inspect) {
  const T p = context.training ? T(options_.dropout) : T(0);
  const std::uint64_t key = context.dropout_key;
  const int layers = options_.layers;
  if (inspect.attention) {
    inspect.attention->clear();
    if (attends(options_.conv)) inspect.attention->resize(std::size_t(layers));
  }
  Var<T> h = tape.view(x.dense());
  for (int l = 0; l < layers; ++l) {
    const bool last = l == layers - 1;
    if (last && inspect.last_hidden) *inspect.last_hidden = h.value();
    // Each random op gets its own key derived from the step's key.
    const Var<T> in =
        ops::dropout(h, KeyedDropout<T>{p, derive_key(key, 2 * std::uint64_t(l) + 1)});
    const ForwardContext ctx{context.training, derive_key(key, 2 * std::uint64_t(l) + 2)};
    Attention<T>* att = inspect.attention && attends(options_.conv)
                            ? &(*inspect.attention)[std::size_t(l)]
                            : nullptr;
    Var<T> y = std::visit(
        [&](auto& conv) -> Var<T> {
          using C = std::decay_t<decltype(conv)>;
          if constexpr (std::is_same_v<C, GATConv<T>> || std::is_same_v<C, GATv2Conv<T>>) {
            return conv.forward(in, graph, ctx, att);
          } else if constexpr (std::is_same_v<C, GCNConv<T>>) {
            return conv.forward(in, graph, ctx);
          } else {
            return conv.forward(in, graph);
          }
        },
        convs_[std::size_t(l)]);
    if (last) return ops::log_softmax(y);
    if (options_.norm == Normalisation::kLayer) {
      y = ops::layer_norm(y, tape.parameter(norm_scale_[std::size_t(l)]),
                          tape.parameter(norm_shift_[std::size_t(l)]));
    }
    y = attends(options_.conv) ? ops::elu(y) : ops::relu(y);
    h = options_.residual && l > 0 ? ops::add(h, y) : y;
  }
  return h;  // unreachable: the loop returns at the last layer
}

template <class T>
std::vector<Parameter<T>*> GNNStack<T>::parameters() {
  std::vector<Parameter<T>*> params;
  for (std::size_t l = 0; l < convs_.size(); ++l) {
    for (Parameter<T>* q : std::visit([](auto& conv) { return conv.parameters(); }, convs_[l])) {
      params.push_back(q);
    }
    if (l < norm_scale_.size()) {
      params.push_back(&norm_scale_[l]);
      params.push_back(&norm_shift_[l]);
    }
  }
  return params;
}

template class GNNStack<float>;
template class GNNStack<double>;

}  // namespace heed::nn
