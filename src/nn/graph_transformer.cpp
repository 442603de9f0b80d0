#include "heed/nn/graph_transformer.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "heed/error.hpp"
#include "heed/graph/laplacian_encoding.hpp"

namespace heed::nn {

namespace {

// The sizes of a validated spec.
template <class Sizes>
Sizes sizes_of(const ModelSpec& s) {
  const int width = s.heads * s.hidden_channels;
  return Sizes{s.in_channels,
               s.out_channels,
               width,
               s.heads,
               s.ffn_hidden > 0 ? s.ffn_hidden : 2 * width,
               s.layers,
               s.dropout,
               s.attention_dropout,
               s.attention,
               s.laplacian_k,
               s.norm_first};
}

template <class T>
Parameter<T> filled(const std::string& name, std::size_t width, T value) {
  Tensor<T> t(1, width);
  t.fill(value);
  return Parameter<T>(name, std::move(t), false);
}

}  // namespace

template <class T>
GraphTransformer<T>::GraphTransformer(const ModelSpec& spec, Rng& rng) : spec_(spec) {
  spec_.validate();
  if (!spec_.is_transformer()) {
    throw Error("graph transformer: the spec describes a " + spec_.model + " model");
  }
  options_ = sizes_of<Sizes>(spec_);
  // Every block's attention matrices live until backward, plus one scratch.
  pool_ = std::make_shared<TensorPool<T>>(std::size_t(options_.layers) + 1);
  const int d = options_.hidden;
  const std::size_t w = std::size_t(d);
  input_ = Linear<T>(options_.in_channels, d, rng, "input");
  if (options_.laplacian_k > 0) {
    positional_ = Linear<T>(options_.laplacian_k, d, rng, "positional", false);
  }
  const bool global = options_.attention == AttentionMode::kGraphAndDense;
  blocks_.reserve(std::size_t(options_.layers));
  for (int l = 0; l < options_.layers; ++l) {
    const std::string p = "block" + std::to_string(l) + ".";
    Block b;
    b.query = Linear<T>(d, d, rng, p + "query");
    b.key = Linear<T>(d, d, rng, p + "key");
    b.value = Linear<T>(d, d, rng, p + "value");
    b.output = Linear<T>(d, d, rng, p + "output");
    if (global) {
      b.global_query = Linear<T>(d, d, rng, p + "global_query");
      b.global_key = Linear<T>(d, d, rng, p + "global_key");
      b.global_value = Linear<T>(d, d, rng, p + "global_value");
      b.global_output = Linear<T>(d, d, rng, p + "global_output");
    }
    b.ffn_in = Linear<T>(d, options_.ffn_hidden, rng, p + "ffn_in");
    b.ffn_out = Linear<T>(options_.ffn_hidden, d, rng, p + "ffn_out");
    b.norm1_scale = filled<T>(p + "norm1_scale", w, T(1));
    b.norm1_shift = filled<T>(p + "norm1_shift", w, T(0));
    b.norm2_scale = filled<T>(p + "norm2_scale", w, T(1));
    b.norm2_shift = filled<T>(p + "norm2_shift", w, T(0));
    blocks_.push_back(std::move(b));
  }
  if (options_.norm_first) {
    embedding_scale_ = filled<T>("embedding_norm_scale", w, T(1));
    embedding_shift_ = filled<T>("embedding_norm_shift", w, T(0));
    final_scale_ = filled<T>("final_norm_scale", w, T(1));
    final_shift_ = filled<T>("final_norm_shift", w, T(0));
  }
  if (spec_.is_graph_level()) {
    readout_ = GraphReadout<T>(spec_.readout, {d}, spec_.head_hidden > 0 ? spec_.head_hidden : d,
                               options_.out_channels, rng);
  } else {
    classifier_ = Linear<T>(d, options_.out_channels, rng, "classifier");
  }
}

template <class T>
void GraphTransformer<T>::set_attention(AttentionMode mode) {
  if ((mode == AttentionMode::kGraphAndDense) !=
      (options_.attention == AttentionMode::kGraphAndDense)) {
    throw Error(std::string("graph transformer: cannot switch from ") +
                name_of(options_.attention) + " to " + name_of(mode) +
                " attention: they have different parameters");
  }
  options_.attention = mode;
  spec_.attention = mode;
}

template <class T>
Var<T> GraphTransformer<T>::attend(Block& b, Var<T> h, const Graph& graph,
                                   const ForwardContext& context, std::uint64_t key,
                                   Attention<T>* attention) {
  const int heads = options_.heads;
  const kernels::HeadShape shape{heads, options_.hidden / heads};
  const T p = context.training ? T(options_.attention_dropout) : T(0);
  switch (options_.attention) {
    case AttentionMode::kGraph: {
      Tensor<T>* alpha = attention ? &attention->alpha : nullptr;
      Var<T> a = ops::graph_dot_attention(b.query.forward(h), b.key.forward(h), b.value.forward(h),
                                          graph, shape, KeyedDropout<T>{p, key}, alpha);
      if (attention) attention->graph = graph;
      return b.output.forward(a);
    }
    case AttentionMode::kDenseMasked:
    case AttentionMode::kDense: {
      std::shared_ptr<const std::vector<std::uint8_t>> mask;
      if (options_.attention == AttentionMode::kDenseMasked) {
        if (!mask_graph_.same(graph)) {
          mask_ = std::make_shared<const std::vector<std::uint8_t>>(dense_adjacency(graph));
          mask_graph_.remember(graph);
        }
        mask = mask_;
      }
      // Dense attention has no attention dropout: it would need a mask per
      // pair, and the equivalence with the graph path holds without it.
      return b.output.forward(ops::dense_attention<T>(
          b.query.forward(h), b.key.forward(h), b.value.forward(h), heads, mask, nullptr, pool_));
    }
    case AttentionMode::kGraphAndDense: {
      Var<T> local = ops::graph_dot_attention(
          b.query.forward(h), b.key.forward(h), b.value.forward(h), graph, shape,
          KeyedDropout<T>{p, key}, attention ? &attention->alpha : nullptr);
      if (attention) attention->graph = graph;
      Var<T> global =
          ops::dense_attention<T>(b.global_query.forward(h), b.global_key.forward(h),
                                  b.global_value.forward(h), heads, nullptr, nullptr, pool_);
      return ops::add(b.output.forward(local), b.global_output.forward(global));
    }
  }
  throw Error("graph transformer: unknown attention mode");
}

template <class T>
Tensor<T> GraphTransformer<T>::positional_input(const Graph& graph,
                                                std::span<const std::int64_t> graph_offsets,
                                                const ForwardContext& context) {
  const std::size_t k = std::size_t(options_.laplacian_k);
  const bool batch = graph_offsets.size() > 2;
  if (!encoding_graph_.same(graph) ||
      !std::equal(graph_offsets.begin(), graph_offsets.end(), encoding_offsets_.begin(),
                  encoding_offsets_.end())) {
    const std::vector<double> vectors =
        batch ? laplacian_encodings_per_graph(graph, graph_offsets, options_.laplacian_k)
              : laplacian_encoding(graph, options_.laplacian_k).vectors;
    encoding_ = Tensor<T>(std::size_t(graph.num_nodes()), k);
    for (std::size_t i = 0; i < vectors.size(); ++i) encoding_.data()[i] = T(vectors[i]);
    encoding_graph_.remember(graph);
    encoding_offsets_.assign(graph_offsets.begin(), graph_offsets.end());
  }
  Tensor<T> input = encoding_;
  if (!context.training) return input;
  // One coin per eigenvector and step, from the step's key (its own stream,
  // apart from the dropout streams 1, 2, ...).
  const std::uint64_t key = derive_key(context.dropout_key, 0x5167'4e5f'0000'0000ULL);
  for (std::size_t c = 0; c < k; ++c) {
    if ((counter_bits(key, c) & 1) == 0) continue;
    for (std::size_t i = 0; i < input.rows(); ++i) input(i, c) = -input(i, c);
  }
  return input;
}

template <class T>
Var<T> GraphTransformer<T>::run(Tape<T>& tape, const GraphInput<T>& input,
                                const ForwardContext& context, const Inspection<T>& inspect) {
  const Graph& graph = *input.graph;
  const T p = context.training ? T(options_.dropout) : T(0);
  const std::uint64_t key = context.dropout_key;
  std::uint64_t next = 0;
  auto drop = [&](Var<T> v) {
    return ops::dropout(v, KeyedDropout<T>{p, derive_key(key, ++next)});
  };
  const bool attends_edges = options_.attention == AttentionMode::kGraph ||
                             options_.attention == AttentionMode::kGraphAndDense;
  if (spec_.is_graph_level()) {
    if (input.graph_offsets.empty()) {
      throw Error("transformer with a " + std::string(name_of(spec_.readout)) +
                  " readout: the input needs its graphs' node offsets");
    }
    if (options_.attention != AttentionMode::kGraph && input.graph_offsets.size() > 2) {
      throw Error(std::string("transformer: ") + name_of(options_.attention) +
                  " attention over a batch of " + std::to_string(input.graph_offsets.size() - 1) +
                  " graphs would attend across graphs; give one graph at a time, or each graph "
                  "made complete with graph attention");
    }
  }
  if (inspect.attention) {
    inspect.attention->clear();
    if (attends_edges) inspect.attention->resize(blocks_.size());
  }
  Var<T> h = input_.forward(drop(input.rows ? *input.rows : input.x->on(tape)));
  if (options_.laplacian_k > 0) {
    h = ops::add(h, positional_.forward(
                        tape.constant(positional_input(graph, input.graph_offsets, context))));
  }
  if (options_.norm_first) {
    h = ops::layer_norm(h, tape.parameter(embedding_scale_), tape.parameter(embedding_shift_));
  }
  for (std::size_t l = 0; l < blocks_.size(); ++l) {
    Block& b = blocks_[l];
    Attention<T>* att = inspect.attention && attends_edges ? &(*inspect.attention)[l] : nullptr;
    auto norm1 = [&](Var<T> v) {
      return ops::layer_norm(v, tape.parameter(b.norm1_scale), tape.parameter(b.norm1_shift));
    };
    auto norm2 = [&](Var<T> v) {
      return ops::layer_norm(v, tape.parameter(b.norm2_scale), tape.parameter(b.norm2_shift));
    };
    auto ffn = [&](Var<T> v) { return b.ffn_out.forward(drop(ops::relu(b.ffn_in.forward(v)))); };
    const std::uint64_t attention_key = derive_key(key, ++next);
    if (options_.norm_first) {
      h = ops::add(h, drop(attend(b, norm1(h), graph, context, attention_key, att)));
      h = ops::add(h, drop(ffn(norm2(h))));
    } else {
      h = norm1(ops::add(h, drop(attend(b, h, graph, context, attention_key, att))));
      h = norm2(ops::add(h, drop(ffn(h))));
    }
  }
  if (options_.norm_first) {
    h = ops::layer_norm(h, tape.parameter(final_scale_), tape.parameter(final_shift_));
  }
  if (inspect.last_hidden) *inspect.last_hidden = h.value();
  if (!spec_.is_graph_level()) return classifier_.forward(h);
  const std::array<Var<T>, 1> rows{h};
  return readout_.forward(std::span<const Var<T>>(rows), input.graph_offsets,
                          KeyedDropout<T>{p, derive_key(key, ++next)}, inspect.pooling);
}

template <class T>
std::vector<Parameter<T>*> GraphTransformer<T>::parameters() {
  std::vector<Parameter<T>*> p;
  input_.collect(p);
  if (options_.laplacian_k > 0) positional_.collect(p);
  if (options_.norm_first) {
    p.push_back(&embedding_scale_);
    p.push_back(&embedding_shift_);
  }
  const bool global = options_.attention == AttentionMode::kGraphAndDense;
  for (Block& b : blocks_) {
    b.query.collect(p);
    b.key.collect(p);
    b.value.collect(p);
    b.output.collect(p);
    if (global) {
      b.global_query.collect(p);
      b.global_key.collect(p);
      b.global_value.collect(p);
      b.global_output.collect(p);
    }
    b.ffn_in.collect(p);
    b.ffn_out.collect(p);
    for (Parameter<T>* q : {&b.norm1_scale, &b.norm1_shift, &b.norm2_scale, &b.norm2_shift}) {
      p.push_back(q);
    }
  }
  if (options_.norm_first) {
    p.push_back(&final_scale_);
    p.push_back(&final_shift_);
  }
  if (spec_.is_graph_level()) {
    readout_.collect(p);
  } else {
    classifier_.collect(p);
  }
  return p;
}

template class GraphTransformer<float>;
template class GraphTransformer<double>;

}  // namespace heed::nn
