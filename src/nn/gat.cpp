#include "heed/nn/gat.hpp"

#include <string>

#include "heed/error.hpp"

namespace heed::nn {
namespace {

// The hidden layer concatenates its heads; the output layer averages them.
GATConvOptions layer_options(const GATOptions& o, bool output) {
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    throw Error("GAT: dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  GATConvOptions c;
  c.in_channels = output ? o.heads * o.hidden_channels : o.in_channels;
  c.out_channels = output ? o.out_channels : o.hidden_channels;
  c.heads = output ? o.output_heads : o.heads;
  c.concat = !output;
  c.dropout = o.attention_dropout;
  c.feature_dropout = o.feature_dropout == FeatureDropout::kPerHead ? o.dropout : 0.0;
  c.negative_slope = o.negative_slope;
  return c;
}

}  // namespace

template <class T>
GAT<T>::GAT(const GATOptions& options, Rng& rng)
    : options_(options),
      hidden_(layer_options(options, false), rng),
      output_(layer_options(options, true), rng) {}

template <class T>
Var<T> GAT<T>::forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                       const ForwardContext& context, const Inspection<T>& inspect) {
  std::vector<Attention<T>>* attention = inspect.attention;
  // Each random op gets its own key derived from the step's key.
  const std::uint64_t key = context.dropout_key;
  const bool layer_input = options_.feature_dropout == FeatureDropout::kLayerInput;
  const T p = context.training && layer_input ? T(options_.dropout) : T(0);
  Attention<T>* att_hidden = nullptr;
  Attention<T>* att_output = nullptr;
  if (attention) {
    attention->resize(2);
    att_hidden = &(*attention)[0];
    att_output = &(*attention)[1];
  }
  const ForwardContext hidden_context{context.training, derive_key(key, 2)};
  Var<T> h = layer_input ? hidden_.forward(ops::dropout(tape.view(x.dense()),
                                                        KeyedDropout<T>{p, derive_key(key, 1)}),
                                           graph, hidden_context, att_hidden)
                         : hidden_.forward(tape, x, graph, hidden_context, att_hidden);
  h = ops::elu(h);
  if (inspect.last_hidden) *inspect.last_hidden = h.value();
  h = ops::dropout(h, KeyedDropout<T>{p, derive_key(key, 3)});
  h = output_.forward(h, graph, ForwardContext{context.training, derive_key(key, 4)}, att_output);
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
