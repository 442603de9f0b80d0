#include "heed/nn/gatv2_conv.hpp"

#include "heed/nn/looped_edge_features.hpp"

#include <string>

#include "heed/error.hpp"
#include "heed/nn/init.hpp"

namespace heed::nn {
namespace {

void validate(const GATv2ConvOptions& o) {
  auto fail = [](const std::string& what) { throw Error("GATv2Conv: " + what); };
  if (o.in_channels < 1) fail("in_channels must be >= 1, got " + std::to_string(o.in_channels));
  if (o.out_channels < 1) fail("out_channels must be >= 1, got " + std::to_string(o.out_channels));
  if (o.heads < 1) fail("heads must be >= 1, got " + std::to_string(o.heads));
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    fail("dropout must be in [0, 1), got " + std::to_string(o.dropout));
  }
  if (!(o.negative_slope >= 0.0)) {
    fail("negative_slope must be >= 0, got " + std::to_string(o.negative_slope));
  }
}

}  // namespace

template <class T>
ConvTraits GATv2Conv<T>::traits() {
  ConvTraits t;
  t.name = "gatv2";
  t.summary = "GATv2Conv (Brody et al. 2022): dynamic attention";
  t.multi_head = true;
  t.attends = true;
  t.edge_features = true;
  t.activation = Activation::kELU;
  t.options = {{"add_self_loops", 1, "add a self loop to every node"},
               {"bias", 1, "add a learned bias"},
               {"share_weights", 0, "one projection for sources and destinations"},
               {"projection_bias", 0,
                "a learned bias on each projection (PyG's lin_l and lin_r, which PyG's bias "
                "switches on with the output bias)"}};
  return t;
}

template <class T>
GATv2ConvOptions GATv2Conv<T>::options_from(const LayerSpec& s) {
  GATv2ConvOptions o;
  o.in_channels = s.in_channels;
  o.out_channels = s.out_channels;
  o.heads = s.heads;
  o.concat = s.concat;
  o.dropout = s.dropout;
  o.negative_slope = s.negative_slope;
  o.edge_dim = s.edge_dim;
  o.add_self_loops = s.option("add_self_loops", 1) != 0;
  o.bias = s.option("bias", 1) != 0;
  o.share_weights = s.option("share_weights", 0) != 0;
  o.projection_bias = s.option("projection_bias", 0) != 0;
  return o;
}

template <class T>
GATv2Conv<T>::GATv2Conv(const GATv2ConvOptions& options, Rng& rng) : options_(options) {
  validate(options_);
  const std::size_t in = std::size_t(options_.in_channels);
  const std::size_t width = std::size_t(options_.heads * options_.out_channels);
  weight_src_ = Parameter<T>("weight_src", glorot_uniform<T>(in, width, in, width, rng));
  if (!options_.share_weights) {
    weight_dst_ = Parameter<T>("weight_dst", glorot_uniform<T>(in, width, in, width, rng));
  }
  if (options_.projection_bias) {
    bias_src_ = Parameter<T>("bias_src", Tensor<T>(1, width), false);
    if (!options_.share_weights) bias_dst_ = Parameter<T>("bias_dst", Tensor<T>(1, width), false);
  }
  att_ =
      Parameter<T>("att", glorot_uniform<T>(1, width, std::size_t(options_.out_channels), 1, rng));
  if (options_.edge_dim > 0) {
    const std::size_t d = std::size_t(options_.edge_dim);
    weight_edge_ = Parameter<T>("weight_edge", glorot_uniform<T>(d, width, d, width, rng));
  }
  if (options_.bias) bias_ = Parameter<T>("bias", Tensor<T>(1, std::size_t(out_width())), false);
}

template <class T>
std::vector<Parameter<T>*> GATv2Conv<T>::parameters() {
  std::vector<Parameter<T>*> p{&weight_src_};
  if (options_.projection_bias) p.push_back(&bias_src_);
  if (!options_.share_weights) {
    p.push_back(&weight_dst_);
    if (options_.projection_bias) p.push_back(&bias_dst_);
  }
  p.push_back(&att_);
  if (options_.edge_dim > 0) p.push_back(&weight_edge_);
  if (options_.bias) p.push_back(&bias_);
  return p;
}

template <class T>
Var<T> GATv2Conv<T>::run(Var<T> x, const Graph& graph, const Var<T>* edge_attr,
                         const ForwardContext& context, Attention<T>* attention) {
  check_node_input(x, graph, options_.in_channels, "GATv2Conv");
  Tape<T>& tape = x.tape();
  Var<T> x_src = ops::matmul(x, tape.parameter(weight_src_));
  if (options_.projection_bias) x_src = ops::add_bias(x_src, tape.parameter(bias_src_));
  Var<T> x_dst = x_src;
  if (!options_.share_weights) {
    x_dst = ops::matmul(x, tape.parameter(weight_dst_));
    if (options_.projection_bias) x_dst = ops::add_bias(x_dst, tape.parameter(bias_dst_));
  }
  return attend(x_src, x_dst, graph, edge_attr, context, attention);
}

template <class T>
Var<T> GATv2Conv<T>::attend(Var<T> x_src, Var<T> x_dst, const Graph& graph, const Var<T>* edge_attr,
                            const ForwardContext& context, Attention<T>* attention) {
  check_edge_input(edge_attr, graph, options_.edge_dim, "GATv2Conv");
  const Graph& g = options_.add_self_loops ? self_loops_.looped(graph) : graph;
  Tape<T>& tape = x_src.tape();
  const kernels::HeadShape shape{options_.heads, options_.out_channels};
  const KeyedDropout<T> drop{context.training ? T(options_.dropout) : T(0), context.dropout_key};
  Tensor<T>* alpha_out = attention ? &attention->alpha : nullptr;
  // The bias goes into the attention kernel's pass unless the heads are
  // averaged first.
  const bool fuse_bias = options_.bias && (options_.concat || options_.heads == 1);
  Var<T> b;
  if (fuse_bias) b = tape.parameter(bias_);
  const Var<T>* fused = fuse_bias ? &b : nullptr;
  Var<T> h;
  if (edge_attr) {
    const Var<T> x_edge =
        ops::matmul(edge_features_on(graph, g, *edge_attr), tape.parameter(weight_edge_));
    h = ops::gatv2_edge_attention(x_src, x_dst, x_edge, tape.parameter(att_), g, shape,
                                  T(options_.negative_slope), drop, alpha_out, fused);
  } else {
    h = ops::gatv2_attention(x_src, x_dst, tape.parameter(att_), g, shape,
                             T(options_.negative_slope), drop, alpha_out, fused);
  }
  if (attention) attention->graph = g;
  if (!options_.concat && options_.heads > 1) h = ops::head_mean(h, options_.heads);
  if (options_.bias && !fuse_bias) h = ops::add_bias(h, tape.parameter(bias_));
  return h;
}

template class GATv2Conv<float>;
template class GATv2Conv<double>;

}  // namespace heed::nn
