#include "heed/nn/gcn.hpp"

#include <string>

#include "heed/error.hpp"

namespace heed::nn {
namespace {

GCNConvOptions conv_options(const GCNOptions& o, bool output) {
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    throw Error("GCN: dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  return GCNConvOptions{output ? o.hidden_channels : o.in_channels,
                        output ? o.out_channels : o.hidden_channels};
}

}  // namespace

template <class T>
GCN<T>::GCN(const GCNOptions& options, Rng& rng)
    : options_(options),
      hidden_(conv_options(options, false), rng),
      output_(conv_options(options, true), rng) {}

template <class T>
Var<T> GCN<T>::forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                       const ForwardContext& context, const Inspection<T>& inspect) {
  const T p = context.training ? T(options_.dropout) : T(0);
  const std::uint64_t key = context.dropout_key;
  Var<T> h = hidden_.forward(tape, x, graph, KeyedDropout<T>{p, derive_key(key, 1)});
  h = ops::relu(h);
  if (inspect.last_hidden) *inspect.last_hidden = h.value();
  h = ops::dropout(h, KeyedDropout<T>{p, derive_key(key, 2)});
  return ops::log_softmax(output_.forward(h, graph));
}

template <class T>
std::vector<Parameter<T>*> GCN<T>::parameters() {
  std::vector<Parameter<T>*> p = hidden_.parameters();
  for (Parameter<T>* q : output_.parameters()) p.push_back(q);
  return p;
}

template class GCN<float>;
template class GCN<double>;

}  // namespace heed::nn
