#include "heed/nn/gat_conv.hpp"

#include "heed/nn/looped_edge_features.hpp"

#include <string>

#include "heed/error.hpp"
#include "heed/nn/init.hpp"

namespace heed::nn {
namespace {

void validate(const GATConvOptions& o) {
  auto fail = [](const std::string& what) { throw Error("GATConv: " + what); };
  if (o.in_channels < 1) fail("in_channels must be >= 1, got " + std::to_string(o.in_channels));
  if (o.out_channels < 1) fail("out_channels must be >= 1, got " + std::to_string(o.out_channels));
  if (o.heads < 1) fail("heads must be >= 1, got " + std::to_string(o.heads));
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    fail("dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  if (!(o.feature_dropout >= 0.0 && o.feature_dropout < 1.0)) {
    fail("feature_dropout must be in [0, 1), got " + std::to_string(o.feature_dropout));
  }
  if (!(o.negative_slope >= 0.0)) {
    fail("negative_slope must be >= 0, got " + std::to_string(o.negative_slope));
  }
}

}  // namespace

template <class T>
ConvTraits GATConv<T>::traits() {
  ConvTraits t;
  t.name = "gat";
  t.summary = "GATConv (Velickovic et al. 2018): attention from node terms";
  t.multi_head = true;
  t.attends = true;
  t.per_head_input_dropout = true;
  t.edge_features = true;
  t.activation = Activation::kELU;
  t.options = {{"add_self_loops", 1, "add a self loop to every node"},
               {"bias", 1, "add a learned bias"}};
  return t;
}

template <class T>
GATConvOptions GATConv<T>::options_from(const LayerSpec& s) {
  GATConvOptions o;
  o.in_channels = s.in_channels;
  o.out_channels = s.out_channels;
  o.heads = s.heads;
  o.concat = s.concat;
  o.dropout = s.dropout;
  o.feature_dropout = s.feature_dropout;
  o.negative_slope = s.negative_slope;
  o.edge_dim = s.edge_dim;
  o.add_self_loops = s.option("add_self_loops", 1) != 0;
  o.bias = s.option("bias", 1) != 0;
  return o;
}

template <class T>
GATConv<T>::GATConv(const GATConvOptions& options, Rng& rng) : options_(options) {
  validate(options_);
  const std::size_t in = std::size_t(options_.in_channels);
  const std::size_t width = std::size_t(options_.heads * options_.out_channels);
  const std::size_t f = std::size_t(options_.out_channels);
  weight_ = Parameter<T>("weight", glorot_uniform<T>(in, width, in, width, rng));
  // Each head's attention vector is a map from F features to one score.
  att_src_ = Parameter<T>("att_src", glorot_uniform<T>(1, width, f, 1, rng));
  att_dst_ = Parameter<T>("att_dst", glorot_uniform<T>(1, width, f, 1, rng));
  if (options_.edge_dim > 0) {
    const std::size_t d = std::size_t(options_.edge_dim);
    weight_edge_ = Parameter<T>("weight_edge", glorot_uniform<T>(d, width, d, width, rng));
    att_edge_ = Parameter<T>("att_edge", glorot_uniform<T>(1, width, f, 1, rng));
  }
  if (options_.bias) bias_ = Parameter<T>("bias", Tensor<T>(1, std::size_t(out_width())), false);
}

template <class T>
std::vector<Parameter<T>*> GATConv<T>::parameters() {
  std::vector<Parameter<T>*> p{&weight_, &att_src_, &att_dst_};
  if (options_.edge_dim > 0) {
    p.push_back(&weight_edge_);
    p.push_back(&att_edge_);
  }
  if (options_.bias) p.push_back(&bias_);
  return p;
}

template <class T>
Var<T> GATConv<T>::run(Var<T> x, const Graph& graph, const Var<T>* edge_attr,
                       const ForwardContext& context, Attention<T>* attention) {
  check_node_input(x, graph, options_.in_channels, "GATConv");
  const T p = context.training ? T(options_.feature_dropout) : T(0);
  Var<T> z = ops::head_dropout_matmul(x, x.tape().parameter(weight_), options_.heads,
                                      KeyedDropout<T>{p, derive_key(context.dropout_key, 1)});
  return attend(z, graph, edge_attr, context, attention);
}

template <class T>
Var<T> GATConv<T>::attend(Var<T> z, const Graph& graph, const Var<T>* edge_attr,
                          const ForwardContext& context, Attention<T>* attention) {
  check_edge_input(edge_attr, graph, options_.edge_dim, "GATConv");
  const Graph* g = options_.add_self_loops ? &self_loops_.looped(graph) : &graph;
  Tape<T>& tape = z.tape();
  const kernels::HeadShape shape{options_.heads, options_.out_channels};
  // The authors' feature dropout reaches the aggregated values, not the scores.
  const T p = context.training ? T(options_.feature_dropout) : T(0);
  Var<T> values = ops::dropout(z, KeyedDropout<T>{p, derive_key(context.dropout_key, 2)});
  KeyedDropout<T> drop{context.training ? T(options_.dropout) : T(0), context.dropout_key};
  Tensor<T>* alpha_out = attention ? &attention->alpha : nullptr;
  // The bias goes into the attention kernel's pass unless the heads are
  // averaged first.
  const bool fuse_bias = options_.bias && !edge_attr && (options_.concat || options_.heads == 1);
  Var<T> h;
  if (edge_attr) {
    // The edge term is one score per edge and head: (x_e W_e) . a_edge.
    const Var<T> x_edge =
        ops::matmul(edge_features_on(graph, *g, *edge_attr), tape.parameter(weight_edge_));
    h = ops::gat_edge_attention(values, ops::gat_node_scores(z, tape.parameter(att_src_), shape),
                                ops::gat_node_scores(z, tape.parameter(att_dst_), shape),
                                ops::gat_node_scores(x_edge, tape.parameter(att_edge_), shape), *g,
                                shape, T(options_.negative_slope), drop, alpha_out);
  } else {
    Var<T> b;
    if (fuse_bias) b = tape.parameter(bias_);
    h = ops::gat_attention(values, z, tape.parameter(att_src_), tape.parameter(att_dst_), *g, shape,
                           T(options_.negative_slope), drop, alpha_out, fuse_bias ? &b : nullptr);
  }
  if (attention) attention->graph = *g;
  if (!options_.concat && options_.heads > 1) h = ops::head_mean(h, options_.heads);
  if (options_.bias && !fuse_bias) h = ops::add_bias(h, tape.parameter(bias_));
  return h;
}

template class GATConv<float>;
template class GATConv<double>;

}  // namespace heed::nn
