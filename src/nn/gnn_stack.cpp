#include "heed/nn/gnn_stack.hpp"

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"

namespace heed::nn {

LayerSpec stack_layer(const ModelSpec& spec, int l) {
  const ConvTraits& traits = conv_info(spec.model).traits;
  // A graph-level stack's layers are all hidden: its head makes the outputs.
  const bool last = l == spec.layers - 1 && !spec.is_graph_level();
  LayerSpec s;
  s.in_channels = l == 0 ? spec.in_channels : spec.hidden_width();
  s.out_channels = last ? spec.out_channels : spec.hidden_channels;
  s.heads = traits.multi_head ? (last ? spec.output_heads : spec.heads) : 1;
  s.concat = !last;
  s.dropout = spec.attention_dropout;
  s.feature_dropout = spec.per_head_dropout() ? spec.dropout : 0.0;
  s.negative_slope = spec.negative_slope;
  s.edge_dim = spec.edge_dim;
  s.options = spec.conv_options;
  return s;
}

template <class T>
GNNStack<T>::GNNStack(const ModelSpec& spec, Rng& rng) : spec_(spec) {
  spec_.validate();
  if (spec_.is_transformer() || spec_.is_sequential()) {
    throw Error("GNN stack: a " + spec_.model + " model is not a stack of one conv");
  }
  const ConvInfo& info = conv_info(spec_.model);
  traits_ = info.traits;
  const int layers = spec_.layers;
  convs_.reserve(std::size_t(spec_.layers));
  for (int l = 0; l < spec_.layers; ++l) convs_.push_back(info.make<T>(stack_layer(spec_, l), rng));
  const int hidden_layers = spec_.is_graph_level() ? layers : layers - 1;
  if (spec_.norm != Normalisation::kNone) {
    const std::size_t width = std::size_t(spec_.hidden_width());
    for (int l = 0; l < hidden_layers; ++l) {
      Tensor<T> ones(1, width);
      ones.fill(T(1));
      norm_scale_.emplace_back("norm_scale", ones, false);
      norm_shift_.emplace_back("norm_shift", Tensor<T>(1, width), false);
      if (spec_.norm == Normalisation::kBatch) {
        running_mean_.emplace_back("norm_running_mean", Tensor<T>(1, width), false);
        running_var_.emplace_back("norm_running_var", ones, false);
      }
    }
  }
  if (spec_.is_graph_level()) {
    const int width = spec_.hidden_width();
    // Every layer's output is `width` wide; the input, in_channels.
    std::vector<int> widths{width};
    if (spec_.readout_every_layer) {
      widths.assign(std::size_t(layers), width);
      widths.insert(widths.begin(), spec_.in_channels);
    }
    readout_ =
        GraphReadout<T>(spec_.readout, std::move(widths),
                        spec_.head_hidden > 0 ? spec_.head_hidden : width, spec_.out_channels, rng);
  }
}

template <class T>
Var<T> GNNStack<T>::run(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
                        const Inspection<T>& inspect) {
  // With per-head dropout the layers drop their own inputs.
  const T p = context.training && !spec_.per_head_dropout() ? T(spec_.dropout) : T(0);
  const std::uint64_t key = context.dropout_key;
  const int layers = spec_.layers;
  const Graph& graph = *input.graph;
  if (spec_.edge_dim > 0 && input.edge_attr == nullptr) {
    throw Error(spec_.model + ": edge_dim is " + std::to_string(spec_.edge_dim) +
                ", so the input needs edge features");
  }
  if (inspect.attention) {
    inspect.attention->clear();
    if (traits_.attends) inspect.attention->resize(std::size_t(layers));
  }
  if (spec_.is_graph_level() && input.graph_offsets.empty()) {
    throw Error(spec_.model + " with a " + name_of(spec_.readout) +
                " readout: the input needs its graphs' node offsets");
  }
  const Var<T> edge_attr = spec_.edge_dim > 0 ? tape.view(*input.edge_attr) : Var<T>();
  Var<T> h = input.rows ? *input.rows : input.x->on(tape);
  std::vector<Var<T>> every_layer;  // the readout's row sets, with readout_every_layer
  if (spec_.readout_every_layer) every_layer.push_back(h);
  for (int l = 0; l < layers; ++l) {
    const bool last = l == layers - 1 && !spec_.is_graph_level();
    if (last && inspect.last_hidden) *inspect.last_hidden = h.value();
    // Each random op gets its own key derived from the step's key.
    const Var<T> in =
        ops::dropout(h, KeyedDropout<T>{p, derive_key(key, 2 * std::uint64_t(l) + 1)});
    const ForwardContext ctx{context.training, derive_key(key, 2 * std::uint64_t(l) + 2)};
    Attention<T>* att =
        inspect.attention && traits_.attends ? &(*inspect.attention)[std::size_t(l)] : nullptr;
    Conv<T>& conv = *convs_[std::size_t(l)];
    Var<T> y = spec_.edge_dim > 0 ? conv.forward(in, graph, edge_attr, ctx, att)
                                  : conv.forward(in, graph, ctx, att);
    if (last) return y;
    if (spec_.norm == Normalisation::kLayer) {
      y = ops::layer_norm(y, tape.parameter(norm_scale_[std::size_t(l)]),
                          tape.parameter(norm_shift_[std::size_t(l)]));
    } else if (spec_.norm == Normalisation::kBatch) {
      const std::size_t k = std::size_t(l);
      y = ops::batch_norm(y, tape.parameter(norm_scale_[k]), tape.parameter(norm_shift_[k]),
                          ops::BatchStatistics<T>{&running_mean_[k].value, &running_var_[k].value},
                          context.training);
    }
    y = traits_.activation == Activation::kELU ? ops::elu(y) : ops::relu(y);
    h = spec_.residual && l > 0 ? ops::add(h, y) : y;
    if (spec_.readout_every_layer) every_layer.push_back(h);
  }
  // Only a graph-level stack gets here: its layers were all hidden.
  if (inspect.last_hidden) *inspect.last_hidden = h.value();
  const T head_p = context.training ? T(spec_.dropout) : T(0);
  if (!spec_.readout_every_layer) every_layer.push_back(h);
  return readout_.forward(std::span<const Var<T>>(every_layer), input.graph_offsets,
                          KeyedDropout<T>{head_p, derive_key(key, 2 * std::uint64_t(layers) + 1)},
                          inspect.pooling);
}

template <class T>
std::vector<Parameter<T>*> GNNStack<T>::parameters() {
  std::vector<Parameter<T>*> params;
  for (std::size_t l = 0; l < convs_.size(); ++l) {
    for (Parameter<T>* q : convs_[l]->parameters()) params.push_back(q);
    if (l < norm_scale_.size()) {
      params.push_back(&norm_scale_[l]);
      params.push_back(&norm_shift_[l]);
    }
    if (l < running_mean_.size()) {
      params.push_back(&running_mean_[l]);
      params.push_back(&running_var_[l]);
    }
  }
  if (spec_.is_graph_level()) readout_.collect(params);
  return params;
}

template class GNNStack<float>;
template class GNNStack<double>;

}  // namespace heed::nn
