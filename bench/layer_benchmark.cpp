#include "layer_benchmark.hpp"

#include <functional>
#include <memory>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/data/random_graph.hpp"
#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/tensor/random.hpp"
#include "process_memory.hpp"
#include "run_timer.hpp"

namespace heed::bench {
namespace {

Tensor<float> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t key) {
  Tensor<float> t(rows, cols);
  float* v = t.data();
  const std::int64_t n = std::int64_t(t.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < n; ++k) {
    v[k] = float(double(counter_bits(key, std::uint64_t(k)) >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
  return t;
}

// A kernel timed alone: what it must at least read and write (each index,
// each gathered row of a neighbour, each output once), or, for dense
// products, its flops.
struct KernelRun {
  std::string name;
  double bytes = 0;
  double flops = 0;
  std::function<void()> run;
};

// The layer as a model uses it, plus its kernels for the bandwidth table.
// The kernels' own buffers are made only after the layer's peak memory has
// been read, so that they do not count in it.
struct LayerUnderTest {
  std::function<Var<float>(Tape<float>&, Var<float>)> forward;
  std::function<std::vector<KernelRun>()> make_kernels;
};

// A layer's parameter by name (its kernels are timed with the layer's own
// weights).
const Tensor<float>& parameter(nn::Conv<float>& layer, const std::string& name) {
  for (Parameter<float>* p : layer.parameters()) {
    if (p->name == name) return p->value;
  }
  throw Error("bench: the layer has no parameter '" + name + "'");
}

// The layer as heed bench builds it: in_channels inputs, `heads` heads of
// out_channels for multi-head layers, heads x out_channels outputs otherwise.
std::shared_ptr<nn::Conv<float>> make_layer(const LayerCase& c, Rng& rng) {
  const nn::ConvTraits& t = nn::conv_info(c.layer).traits;
  nn::LayerSpec s;
  s.in_channels = c.in_channels;
  s.heads = t.multi_head ? c.heads : 1;
  s.out_channels = t.multi_head ? c.out_channels : c.heads * c.out_channels;
  return nn::make_conv<float>(c.layer, s, rng);
}

// The layer as a model uses it, timed through the tape.
LayerUnderTest plain_layer(const LayerCase& c, const Graph& graph, Rng& rng) {
  std::shared_ptr<nn::Conv<float>> layer = make_layer(c, rng);
  LayerUnderTest t;
  t.forward = [layer, &graph](Tape<float>&, Var<float> in) {
    return layer->forward(in, graph, nn::ForwardContext{true, 1});
  };
  t.make_kernels = [] { return std::vector<KernelRun>{}; };
  return t;
}

// Sizes in bytes of the things the models count.
struct Sizes {
  double n, e, h, w;  // nodes, edges, heads, output width
  static constexpr double f = sizeof(float), idx = sizeof(NodeId), ptr = sizeof(EdgeId);
};

LayerUnderTest gat_layer(const LayerCase& c, const Graph& graph, const Tensor<float>& x, Rng& rng) {
  std::shared_ptr<nn::Conv<float>> layer = make_layer(c, rng);
  LayerUnderTest t;
  t.forward = [layer, &graph](Tape<float>&, Var<float> in) {
    return layer->forward(in, graph, nn::ForwardContext{true, 1});
  };

  t.make_kernels = [c, layer, &graph, &x] {
    // Inputs of the kernels, computed once with the layer's own weights.
    const kernels::HeadShape shape{c.heads, c.out_channels};
    const std::size_t n = std::size_t(graph.num_nodes()), e = std::size_t(graph.num_edges());
    const std::size_t h = std::size_t(c.heads), w = std::size_t(shape.width());
    const Tensor<float>& weight = parameter(*layer, "weight");
    auto z = std::make_shared<Tensor<float>>(n, w);
    gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight, 0.0f, *z);
    auto s_src = std::make_shared<Tensor<float>>(n, h),
         s_dst = std::make_shared<Tensor<float>>(n, h);
    kernels::gat_node_scores<float>(shape, z->values(), parameter(*layer, "att_src").values(),
                                    s_src->values());
    kernels::gat_node_scores<float>(shape, z->values(), parameter(*layer, "att_dst").values(),
                                    s_dst->values());
    auto alpha = std::make_shared<Tensor<float>>(e, h), out = std::make_shared<Tensor<float>>(n, w);
    auto grad_out = std::make_shared<Tensor<float>>(random_matrix(n, w, 7));
    auto grad_z = std::make_shared<Tensor<float>>(n, w);
    auto grad_s_src = std::make_shared<Tensor<float>>(n, h);
    auto grad_s_dst = std::make_shared<Tensor<float>>(n, h);
    auto work = std::make_shared<Tensor<float>>(e, h);
    const float slope = 0.2f;  // the layer's default negative_slope
    const KeyedDropout<float> no_dropout{};

    const Sizes s{double(n), double(e), double(h), double(w)};
    const double f = Sizes::f;
    std::vector<KernelRun> runs;
    runs.push_back({"projection x W (BLAS)", 0, 2.0 * s.n * c.in_channels * s.w, [&x, &weight, z] {
                      gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight, 0.0f, *z);
                    }});
    runs.push_back(
        {"gat_attention_forward",
         s.n * (Sizes::ptr + s.h * f + s.w * f) + s.e * (Sizes::idx + 2 * s.h * f + s.w * f), 0,
         [&graph, shape, z, s_src, s_dst, slope, no_dropout, alpha, out] {
           kernels::gat_attention_forward<float>(graph, shape, z->values(), s_src->values(),
                                                 s_dst->values(), slope, no_dropout,
                                                 alpha->values(), out->values());
         }});
    runs.push_back({"gat_attention_backward",
                    // <g_i, out_i> per node; by source: own z_j, grad_z, s_src rows, and
                    // per edge grad_out_i, alpha, s_dst_i, row_dot_i, the score gradient;
                    // by destination: the score gradients again.
                    s.n * (2 * s.w * f + s.h * f) + s.n * (Sizes::ptr + 3 * s.w * f + 3 * s.h * f) +
                        s.e * (Sizes::idx + Sizes::ptr + s.w * f + 4 * s.h * f) +
                        s.n * (Sizes::ptr + 2 * s.h * f) + s.e * s.h * f,
                    0,
                    [&graph, shape, z, s_src, s_dst, slope, no_dropout, alpha, out, grad_out,
                     grad_z, grad_s_src, grad_s_dst, work] {
                      kernels::gat_attention_backward<float>(
                          graph, shape, z->values(), s_src->values(), s_dst->values(), slope,
                          no_dropout, alpha->values(), out->values(), grad_out->values(),
                          grad_z->values(), grad_s_src->values(), grad_s_dst->values(),
                          work->values());
                    }});
    return runs;
  };
  return t;
}

LayerUnderTest gatv2_layer(const LayerCase& c, const Graph& graph, const Tensor<float>& x,
                           Rng& rng) {
  std::shared_ptr<nn::Conv<float>> layer = make_layer(c, rng);
  LayerUnderTest t;
  t.forward = [layer, &graph](Tape<float>&, Var<float> in) {
    return layer->forward(in, graph, nn::ForwardContext{true, 1});
  };
  t.make_kernels = [c, layer, &graph, &x] {
    const kernels::HeadShape shape{c.heads, c.out_channels};
    const std::size_t n = std::size_t(graph.num_nodes()), e = std::size_t(graph.num_edges());
    const std::size_t h = std::size_t(c.heads), w = std::size_t(shape.width());
    const Tensor<float>& weight_src = parameter(*layer, "weight_src");
    const Tensor<float>& weight_dst = parameter(*layer, "weight_dst");
    const Tensor<float>& att = parameter(*layer, "att");
    auto xs = std::make_shared<Tensor<float>>(n, w), xd = std::make_shared<Tensor<float>>(n, w);
    gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight_src, 0.0f, *xs);
    gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight_dst, 0.0f, *xd);
    auto alpha = std::make_shared<Tensor<float>>(e, h), out = std::make_shared<Tensor<float>>(n, w);
    auto grad_out = std::make_shared<Tensor<float>>(random_matrix(n, w, 7));
    auto grad_xs = std::make_shared<Tensor<float>>(n, w),
         grad_xd = std::make_shared<Tensor<float>>(n, w);
    auto grad_att = std::make_shared<Tensor<float>>(1, w);
    auto work = std::make_shared<Tensor<float>>(e, h);
    const float slope = 0.2f;  // the layer's default negative_slope
    const Sizes s{double(n), double(e), double(h), double(w)};
    const double f = Sizes::f;
    std::vector<KernelRun> runs;
    runs.push_back({"projections x W_s, x W_d (BLAS)", 0, 4.0 * s.n * c.in_channels * s.w,
                    [&x, &weight_src, &weight_dst, xs, xd] {
                      gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight_src, 0.0f, *xs);
                      gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight_dst, 0.0f, *xd);
                    }});
    runs.push_back({"gatv2_attention_forward",
                    // per node x_dst_i and out_i; per edge x_src_j (read once:
                    // the aggregation walk finds it in cache) and alpha
                    s.n * (Sizes::ptr + 2 * s.w * f) + s.e * (Sizes::idx + s.w * f + s.h * f), 0,
                    [&graph, shape, xs, xd, &att, slope, alpha, out] {
                      kernels::gatv2_attention_forward<float>(graph, shape, xs->values(),
                                                              xd->values(), att.values(), slope, {},
                                                              alpha->values(), out->values());
                    }});
    runs.push_back({"gatv2_attention_backward",
                    // <g_i, out_i>; by source: own x_src_j and grad rows, per edge
                    // grad_out_i, x_dst_i, alpha, row_dot_i, score gradient; by
                    // destination: own x_dst_i and grad rows, per edge x_src_j, score gradient.
                    s.n * (2 * s.w * f + s.h * f) + s.n * (Sizes::ptr + 3 * s.w * f) +
                        s.e * (Sizes::idx + Sizes::ptr + 2 * s.w * f + 3 * s.h * f) +
                        s.n * (Sizes::ptr + 3 * s.w * f) + s.e * (Sizes::idx + s.w * f + s.h * f),
                    0,
                    [&graph, shape, xs, xd, &att, slope, alpha, out, grad_out, grad_xs, grad_xd,
                     grad_att, work] {
                      kernels::gatv2_attention_backward<float>(
                          graph, shape, xs->values(), xd->values(), att.values(), slope, {},
                          alpha->values(), out->values(), grad_out->values(), grad_xs->values(),
                          grad_xd->values(), grad_att->values(), work->values());
                    }});
    return runs;
  };
  return t;
}

LayerUnderTest gcn_layer(const LayerCase& c, const Graph& graph, const Tensor<float>& x, Rng& rng) {
  const int width = c.heads * c.out_channels;
  std::shared_ptr<nn::Conv<float>> layer = make_layer(c, rng);
  LayerUnderTest t;
  t.forward = [layer, &graph](Tape<float>&, Var<float> in) {
    return layer->forward(in, graph, nn::ForwardContext{true, 1});
  };
  t.make_kernels = [c, layer, width, &graph, &x] {
    const std::size_t n = std::size_t(graph.num_nodes()), w = std::size_t(width);
    const Tensor<float>& weight = parameter(*layer, "weight");
    auto z = std::make_shared<Tensor<float>>(n, w), out = std::make_shared<Tensor<float>>(n, w);
    gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight, 0.0f, *z);
    auto grad_out = std::make_shared<Tensor<float>>(random_matrix(n, w, 7));
    auto grad_z = std::make_shared<Tensor<float>>(n, w);
    auto weights = std::make_shared<std::vector<float>>(kernels::gcn_edge_weights<float>(graph));
    const Sizes s{double(n), double(graph.num_edges()), 1, double(w)};
    const double f = Sizes::f;
    std::vector<KernelRun> runs;
    runs.push_back({"projection x W (BLAS)", 0, 2.0 * s.n * c.in_channels * s.w, [&x, &weight, z] {
                      gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, weight, 0.0f, *z);
                    }});
    runs.push_back(
        {"weighted_aggregate", s.n * (Sizes::ptr + s.w * f) + s.e * (Sizes::idx + f + s.w * f), 0,
         [&graph, width, weights, z, out] {
           kernels::weighted_aggregate<float>(graph, *weights, z->values(), width, out->values());
         }});
    runs.push_back(
        {"weighted_aggregate_transpose",
         s.n * (Sizes::ptr + 2 * s.w * f) + s.e * (Sizes::idx + Sizes::ptr + f + s.w * f), 0,
         [&graph, width, weights, grad_out, grad_z] {
           kernels::weighted_aggregate_transpose<float>(graph, *weights, grad_out->values(), width,
                                                        grad_z->values());
         }});
    return runs;
  };
  return t;
}

}  // namespace

nlohmann::json run_layer_benchmark(const LayerCase& c) {
  EdgeList edges =
      c.graph == "uniform" ? data::uniform_random_edges(c.nodes, c.edges, c.seed)
      : c.graph == "powerlaw"
          ? data::rmat_edges(c.nodes, c.edges, c.seed)
          : throw Error("bench: unknown graph '" + c.graph + "' (uniform or powerlaw)");
  GraphOptions go;
  go.add_self_loops = true;  // every layer here adds them, as in PyG
  const Graph graph(c.nodes, edges, go);
  edges = EdgeList{};
  const Tensor<float> x = random_matrix(std::size_t(c.nodes), std::size_t(c.in_channels), 5);
  Rng rng(c.seed);

  LayerUnderTest layer;
  if (c.layer == "gat") {
    layer = gat_layer(c, graph, x, rng);
  } else if (c.layer == "gatv2") {
    layer = gatv2_layer(c, graph, x, rng);
  } else if (c.layer == "gcn") {
    layer = gcn_layer(c, graph, x, rng);
  } else {
    layer = plain_layer(c, graph, rng);  // any other registered conv, without a kernel table
  }

  // The input is data, as in a first layer: no gradient flows to it.
  Tensor<float> seed_grad;
  const int warmups = 1;
  RunTimes fwd = time_runs(warmups, c.repeats, [&] {
    Tape<float> tape;
    Var<float> out = layer.forward(tape, tape.view(x));
    if (seed_grad.empty()) seed_grad = random_matrix(out.value().rows(), out.value().cols(), 9);
  });
  RunTimes fwd_bwd = time_runs(warmups, c.repeats, [&] {
    Tape<float> tape;
    Var<float> out = layer.forward(tape, tape.view(x));
    tape.backward(out, seed_grad);
  });
  const double rss = peak_rss_mib();
  const bool multi_head = nn::conv_info(c.layer).traits.multi_head;

  nlohmann::json kernels = nlohmann::json::array();
  for (KernelRun& k : layer.make_kernels()) {
    RunTimes t = time_runs(1, c.repeats, k.run);
    nlohmann::json j{{"name", k.name}, {"ms", t.median_ms}};
    if (k.bytes > 0) {
      j["bytes"] = k.bytes;
      j["gb_per_s"] = k.bytes / (t.median_ms * 1e-3) / 1e9;
    }
    if (k.flops > 0) j["gflop_per_s"] = k.flops / (t.median_ms * 1e-3) / 1e9;
    kernels.push_back(j);
  }

  return {{"layer", c.layer},
          {"graph", c.graph},
          {"nodes", c.nodes},
          {"edges", c.edges},
          {"edges_with_self_loops", graph.num_edges()},
          {"in_channels", c.in_channels},
          {"heads", multi_head ? c.heads : 1},
          {"out_channels", multi_head ? c.out_channels : c.heads * c.out_channels},
          {"threads", num_threads()},
          {"blas_core", blas_core()},
          {"repeats", c.repeats},
          {"fwd_ms", fwd.median_ms},
          {"fwd_ms_min", fwd.min_ms},
          {"fwd_ms_max", fwd.max_ms},
          {"fwd_bwd_ms", fwd_bwd.median_ms},
          {"fwd_bwd_ms_min", fwd_bwd.min_ms},
          {"fwd_bwd_ms_max", fwd_bwd.max_ms},
          {"edges_per_second", double(graph.num_edges()) / (fwd_bwd.median_ms * 1e-3)},
          {"peak_rss_mib", rss},
          {"kernels", kernels}};
}

}  // namespace heed::bench
