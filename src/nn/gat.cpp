#include "heed/nn/gat.hpp"

#include <string>

#include "heed/error.hpp"

namespace heed::nn {
namespace {

GATConvOptions hidden_options(const GATOptions& o) {
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    throw Error("GAT: dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  GATConvOptions c;
  c.in_channels = o.in_channels;
  c.out_channels = o.hidden_channels;
  c.heads = o.heads;
  c.concat = true;
  c.dropout = o.attention_dropout;
  c.negative_slope = o.negative_slope;
  return c;
}

GATConvOptions output_options(const GATOptions& o) {
  GATConvOptions c;
  c.in_channels = o.heads * o.hidden_channels;
  c.out_channels = o.out_channels;
  c.heads = o.output_heads;
  c.concat = false;
  c.dropout = o.attention_dropout;
  c.negative_slope = o.negative_slope;
  return c;
}

}  // namespace

template <class T>
GAT<T>::GAT(const GATOptions& options, Rng& rng)
    : options_(options),
      hidden_(hidden_options(options), rng),
      output_(output_options(options), rng) {}

template <class T>
Var<T> GAT<T>::forward(Tape<T>& tape, const Tensor<T>& x, const Graph& graph,
                       const ForwardContext& context, std::vector<Attention<T>>* attention) {
  // Each random op gets its own key derived from the step's key.
  auto key = [&](std::uint64_t i) {
    return mix64(context.dropout_key ^ (i * 0x9e3779b97f4a7c15ULL));
  };
  const T p = context.training ? T(options_.dropout) : T(0);
  Attention<T>* att_hidden = nullptr;
  Attention<T>* att_output = nullptr;
  if (attention) {
    attention->resize(2);
    att_hidden = &(*attention)[0];
    att_output = &(*attention)[1];
  }
  Var<T> h = ops::dropout(tape.view(x), KeyedDropout<T>{p, key(1)});
  h = hidden_.forward(h, graph, ForwardContext{context.training, key(2)}, att_hidden);
  h = ops::elu(h);
  h = ops::dropout(h, KeyedDropout<T>{p, key(3)});
  h = output_.forward(h, graph, ForwardContext{context.training, key(4)}, att_output);
  return ops::log_softmax(h);
}

template <class T>
std::vector<Parameter<T>*> GAT<T>::parameters() {
  std::vector<Parameter<T>*> p = hidden_.parameters();
  for (Parameter<T>* q : output_.parameters()) p.push_back(q);
  return p;
}

template class GAT<float>;
template class GAT<double>;

}  // namespace heed::nn
