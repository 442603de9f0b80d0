#include "heed/nn/sequential.hpp"

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"

namespace heed::nn {

template <class T>
Sequential<T>::Sequential(const ModelSpec& spec, Rng& rng) : spec_(spec) {
  if (!spec_.is_sequential()) {
    throw Error("sequential model: built from a '" + spec_.model + "' spec");
  }
  spec_.validate();
  stages_.resize(spec_.modules.size());
  for (std::size_t k = 0; k < spec_.modules.size(); ++k) {
    const ModuleSpec& m = spec_.modules[k];
    if (m.is_conv()) {
      stages_[k].conv = make_conv<T>(m.kind, m.layer, rng);
    } else if (m.kind == "linear") {
      stages_[k].linear.emplace(m.layer.in_channels, m.layer.out_channels, rng, "lin",
                                m.layer.option("bias", 1) != 0);
    }
  }
}

template <class T>
std::vector<Parameter<T>*> Sequential<T>::module_parameters(std::size_t k) {
  Stage& s = stages_.at(k);
  std::vector<Parameter<T>*> params;
  if (s.conv) params = s.conv->parameters();
  if (s.linear) s.linear->collect(params);
  return params;
}

template <class T>
std::vector<Parameter<T>*> Sequential<T>::parameters() {
  std::vector<Parameter<T>*> params;
  for (std::size_t k = 0; k < stages_.size(); ++k) {
    for (Parameter<T>* p : module_parameters(k)) params.push_back(p);
  }
  return params;
}

template <class T>
Var<T> Sequential<T>::run(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
                          const Inspection<T>& inspect) {
  if (spec_.edge_dim > 0 && input.edge_attr == nullptr) {
    throw Error("sequential model: edge_dim is " + std::to_string(spec_.edge_dim) +
                ", so the input needs edge features");
  }
  if (inspect.attention) inspect.attention->clear();
  const Graph& graph = *input.graph;
  const Var<T> edge_attr = spec_.edge_dim > 0 ? tape.view(*input.edge_attr) : Var<T>();
  const std::uint64_t key = context.dropout_key;
  Var<T> h = input.rows ? *input.rows : input.x->on(tape);
  for (std::size_t k = 0; k < stages_.size(); ++k) {
    const ModuleSpec& m = spec_.modules[k];
    Stage& s = stages_[k];
    if (k + 1 == stages_.size() && inspect.last_hidden) *inspect.last_hidden = h.value();
    if (s.conv) {
      // Each module draws its dropout from its own key, derived from the step's.
      const ForwardContext ctx{context.training, derive_key(key, 2 * std::uint64_t(k) + 2)};
      Attention<T>* att = nullptr;
      if (inspect.attention && conv_info(m.kind).traits.attends) {
        att = &inspect.attention->emplace_back();
      }
      h = m.layer.edge_dim > 0 ? s.conv->forward(h, graph, edge_attr, ctx, att)
                               : s.conv->forward(h, graph, ctx, att);
    } else if (s.linear) {
      h = s.linear->forward(h);
    } else if (m.kind == "elu") {
      h = ops::elu(h);
    } else if (m.kind == "relu") {
      h = ops::relu(h);
    } else if (m.kind == "dropout") {
      const T p = context.training ? T(m.layer.dropout) : T(0);
      h = ops::dropout(h, KeyedDropout<T>{p, derive_key(key, 2 * std::uint64_t(k) + 1)});
    }
  }
  return h;
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace heed::nn
