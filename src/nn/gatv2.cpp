#include "heed/nn/gatv2.hpp"

#include <string>

#include "heed/error.hpp"

namespace heed::nn {
namespace {

// The hidden layer concatenates its heads; the output layer averages them.
GATv2ConvOptions layer_options(const GATOptions& o, bool output) {
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    throw Error("GATv2: dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  GATv2ConvOptions c;
  c.in_channels = output ? o.heads * o.hidden_channels : o.in_channels;
  c.out_channels = output ? o.out_channels : o.hidden_channels;
  c.heads = output ? o.output_heads : o.heads;
  c.concat = !output;
  c.dropout = o.attention_dropout;
  c.negative_slope = o.negative_slope;
  return c;
}

}  // namespace

template <class T>
GATv2<T>::GATv2(const GATOptions& options, Rng& rng)
    : options_(options),
      hidden_(layer_options(options, false), rng),
      output_(layer_options(options, true), rng) {}

template <class T>
Var<T> GATv2<T>::forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                         const ForwardContext& context, const Inspection<T>& inspect) {
  const T p = context.training ? T(options_.dropout) : T(0);
  const std::uint64_t key = context.dropout_key;
  Var<T> h = ops::dropout(tape.view(x.dense()), KeyedDropout<T>{p, derive_key(key, 1)});
  Attention<T>* att_hidden = nullptr;
  Attention<T>* att_output = nullptr;
  if (inspect.attention) {
    inspect.attention->resize(2);
    att_hidden = &(*inspect.attention)[0];
    att_output = &(*inspect.attention)[1];
  }
  h = ops::elu(
      hidden_.forward(h, graph, ForwardContext{context.training, derive_key(key, 2)}, att_hidden));
  if (inspect.last_hidden) *inspect.last_hidden = h.value();
  h = ops::dropout(h, KeyedDropout<T>{p, derive_key(key, 3)});
  h = output_.forward(h, graph, ForwardContext{context.training, derive_key(key, 4)}, att_output);
  return ops::log_softmax(h);
}

template <class T>
std::vector<Parameter<T>*> GATv2<T>::parameters() {
  std::vector<Parameter<T>*> p = hidden_.parameters();
  for (Parameter<T>* q : output_.parameters()) p.push_back(q);
  return p;
}

template class GATv2<float>;
template class GATv2<double>;

}  // namespace heed::nn
