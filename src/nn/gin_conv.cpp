#include "heed/nn/gin_conv.hpp"

#include <cmath>
#include <string>

#include "heed/error.hpp"

namespace heed::nn {

template <class T>
ConvTraits GINConv<T>::traits() {
  ConvTraits t;
  t.name = "gin";
  t.summary = "GINConv (Xu et al. 2019): an MLP of (1 + eps) x_i plus the neighbours' sum";
  t.defaults = PaperDefaults{.hidden_channels = 64, .dropout = 0.5, .lr = 0.01, .max_epochs = 200};
  t.options = {{"eps", 0, "the initial (or fixed) eps"},
               {"train_eps", 0, "learn eps"},
               {"mlp_hidden", 0, "the MLP's hidden width (0: the layer's output width)"}};
  return t;
}

template <class T>
GINConvOptions GINConv<T>::options_from(const LayerSpec& s) {
  GINConvOptions o;
  o.in_channels = s.in_channels;
  o.out_channels = s.out_channels;
  o.eps = s.option("eps", 0);
  o.train_eps = s.option("train_eps", 0) != 0;
  o.mlp_hidden = int(s.option("mlp_hidden", 0));
  return o;
}

template <class T>
GINConv<T>::GINConv(const GINConvOptions& options, Rng& rng) : options_(options) {
  auto fail = [](const std::string& what) { throw Error("GINConv: " + what); };
  if (options_.in_channels < 1)
    fail("in_channels must be >= 1, got " + std::to_string(options_.in_channels));
  if (options_.out_channels < 1)
    fail("out_channels must be >= 1, got " + std::to_string(options_.out_channels));
  if (options_.mlp_hidden < 0)
    fail("mlp_hidden must be >= 0, got " + std::to_string(options_.mlp_hidden));
  if (!std::isfinite(options_.eps)) fail("eps must be finite");
  const int hidden = options_.mlp_hidden > 0 ? options_.mlp_hidden : options_.out_channels;
  first_ = Linear<T>(options_.in_channels, hidden, rng, "nn.0");
  second_ = Linear<T>(hidden, options_.out_channels, rng, "nn.2");
  eps_ = Parameter<T>("eps", Tensor<T>(1, 1, {T(options_.eps)}), false);
}

template <class T>
std::vector<Parameter<T>*> GINConv<T>::parameters() {
  std::vector<Parameter<T>*> p;
  first_.collect(p);
  second_.collect(p);
  if (options_.train_eps) p.push_back(&eps_);
  return p;
}

template <class T>
Var<T> GINConv<T>::run(Var<T> x, const Graph& graph, const Var<T>* edge_attr, const ForwardContext&,
                       Attention<T>*) {
  check_node_input(x, graph, options_.in_channels, "GINConv");
  reject_edge_input(edge_attr, "GINConv");
  if (!loop_free_from_.same(graph)) {
    GraphOptions o;
    o.remove_duplicates = false;  // a repeated edge counts twice, as in PyG's sum
    o.remove_self_loops = true;
    loop_free_ = Graph(graph.num_nodes(), graph.edge_list(), o);
    loop_free_from_.remember(graph);
  }
  Tape<T>& tape = x.tape();
  // (1 + eps) x_i + sum_{j != i} x_j, as x_i + sum_j x_j + eps x_i.
  Var<T> h = ops::add(ops::scaled_aggregate<T>(x, loop_free_, nullptr), x);
  if (options_.train_eps) {
    h = ops::add(h, ops::scale(x, tape.parameter(eps_)));
  } else if (options_.eps != 0) {
    h = ops::add(h, ops::scale(x, tape.view(eps_.value)));
  }
  return second_.forward(ops::relu(first_.forward(h)));
}

template class GINConv<float>;
template class GINConv<double>;

}  // namespace heed::nn
