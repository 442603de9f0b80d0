#include "heed/nn/graph_sage.hpp"

#include <string>

#include "heed/error.hpp"

namespace heed::nn {
namespace {

SAGEConvOptions conv_options(const GraphSAGEOptions& o, bool output) {
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    throw Error("GraphSAGE: dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  return SAGEConvOptions{output ? o.hidden_channels : o.in_channels,
                         output ? o.out_channels : o.hidden_channels};
}

}  // namespace

template <class T>
GraphSAGE<T>::GraphSAGE(const GraphSAGEOptions& options, Rng& rng)
    : options_(options),
      hidden_(conv_options(options, false), rng),
      output_(conv_options(options, true), rng) {}

template <class T>
Var<T> GraphSAGE<T>::forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                             const ForwardContext& context, const Inspection<T>& inspect) {
  const T p = context.training ? T(options_.dropout) : T(0);
  const std::uint64_t key = context.dropout_key;
  Var<T> h = ops::dropout(tape.view(x.dense()), KeyedDropout<T>{p, derive_key(key, 1)});
  h = ops::relu(hidden_.forward(h, graph));
  if (inspect.last_hidden) *inspect.last_hidden = h.value();
  h = ops::dropout(h, KeyedDropout<T>{p, derive_key(key, 2)});
  return ops::log_softmax(output_.forward(h, graph));
}

template <class T>
std::vector<Parameter<T>*> GraphSAGE<T>::parameters() {
  std::vector<Parameter<T>*> p = hidden_.parameters();
  for (Parameter<T>* q : output_.parameters()) p.push_back(q);
  return p;
}

template class GraphSAGE<float>;
template class GraphSAGE<double>;

}  // namespace heed::nn
