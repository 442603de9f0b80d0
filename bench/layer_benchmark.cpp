#include "layer_benchmark.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/data/random_graph.hpp"
#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/tensor/buffer_cache.hpp"
#include "heed/tensor/random.hpp"
#include "kernel_cases.hpp"
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

// A step's seed gradient, written afresh (outside the timed run) into a
// buffer of the tapes' cache that the backward pass takes over, so that the
// bench never holds a second N x W copy (PyG's bench holds one seed tensor,
// as this one holds one buffer). Reproducible values in [-1, 1) from a table
// of a prime length.
Tensor<float> seed_gradient(const std::shared_ptr<BufferCache>& cache, std::size_t rows,
                            std::size_t cols, const Tensor<float>& table) {
  Tensor<float> seed = Tensor<float>::uninitialized(rows, cols, cache);
  float* v = seed.data();
  const float* t = table.data();
  const std::int64_t n = std::int64_t(seed.size()), period = std::int64_t(table.size());
  const std::int64_t copies = (n + period - 1) / period;
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < copies; ++c) {
    std::copy_n(t, std::min(period, n - c * period), v + c * period);
  }
  return seed;
}

// A kernel timed alone: what it must at least read and write (each index,
// each gathered row of a neighbour, each output once), or, for dense
// products, its flops.
struct KernelRun {
  std::string name;
  double bytes = 0;
  double flops = 0;
  std::function<void()> run;
  bool backward = false;  // part of the backward pass (else of both)
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

// The catalogue's case for a layer's sparse kernel at the benchmark's size
// (bench/kernel_cases.hpp; its small cases are the kernel tests'), on the
// same graph the layer runs on.
std::optional<KernelCase> kernel_case(const LayerCase& c) {
  KernelCase k;
  k.graph = c.graph;
  k.nodes = c.nodes;
  k.edges = c.edges;
  k.seed = c.seed;
  k.heads = c.heads;
  k.channels = c.out_channels;
  k.attention_out = false;
  if (c.layer == "gat") {
    k.kernel = "gat_attention";
  } else if (c.layer == "gatv2") {
    k.kernel = "gatv2_attention";
  } else if (c.layer == "gcn") {
    k.kernel = "scaled_aggregate";
    k.heads = 1;
    k.channels = c.heads * c.out_channels;
  } else {
    return std::nullopt;
  }
  return k;
}

// A layer's kernels timed alone: its projections through BLAS with its own
// weights (by name), then the catalogue case's forward and backward.
std::vector<KernelRun> layer_kernels(const LayerCase& c, nn::Conv<float>& layer,
                                     const Tensor<float>& x) {
  std::vector<KernelRun> runs;
  const std::optional<KernelCase> k = kernel_case(c);
  if (!k) return runs;
  const std::size_t n = std::size_t(c.nodes);
  const double width = double(k->heads * k->channels);
  std::vector<std::string> weights{"weight"};
  if (c.layer == "gatv2") weights = {"weight_src", "weight_dst"};
  const double product_flops = 2.0 * double(n) * c.in_channels * width;
  for (const std::string& name : weights) {
    const Tensor<float>& w = parameter(layer, name);
    auto out = std::make_shared<Tensor<float>>(n, w.cols());
    runs.push_back({"projection x " + name + " (BLAS)", 0, product_flops,
                    [&x, &w, out] { gemm(Transpose::kNo, Transpose::kNo, 1.0f, x, w, 0.0f, *out); },
                    false});
  }
  auto problem = std::make_shared<KernelProblem<float>>(*k);
  runs.push_back({k->kernel + "_forward", problem->forward_bytes(), 0,
                  [problem] { problem->forward(); }, false});
  problem->forward();
  runs.push_back({k->kernel + "_backward", problem->backward_bytes(), 0,
                  [problem] { problem->backward(); }, true});
  // The weights' gradients, dW = x^T dz; x is data, so there is no dx.
  for (const std::string& name : weights) {
    const Tensor<float>& w = parameter(layer, name);
    auto dz = std::make_shared<Tensor<float>>(n, w.cols());
    auto dw = std::make_shared<Tensor<float>>(w.rows(), w.cols());
    runs.push_back(
        {"gradient of " + name + " (BLAS)", 0, product_flops,
         [&x, dz, dw] { gemm(Transpose::kYes, Transpose::kNo, 1.0f, x, *dz, 0.0f, *dw); }, true});
  }
  return runs;
}

LayerUnderTest any_layer(const LayerCase& c, const Graph& graph, const Tensor<float>& x, Rng& rng) {
  std::shared_ptr<nn::Conv<float>> layer = make_layer(c, rng);
  LayerUnderTest t;
  t.forward = [layer, &graph](Tape<float>&, Var<float> in) {
    return layer->forward(in, graph, nn::ForwardContext{true, 1});
  };
  t.make_kernels = [c, layer, &x] { return layer_kernels(c, *layer, x); };
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

  LayerUnderTest layer = any_layer(c, graph, x, rng);

  // The input is data, as in a first layer: no gradient flows to it.
  const Tensor<float> seed_table = random_matrix(1, 4093, 9);
  // As the trainer does: buffers stay mapped from one step to the next.
  const auto cache = std::make_shared<BufferCache>();
  const int warmups = 1;
  std::size_t out_rows = 0, out_cols = 0;
  RunTimes fwd = time_runs(warmups, c.repeats, [&] {
    Tape<float> tape(cache);
    const Var<float> out = layer.forward(tape, tape.view(x));
    out_rows = out.value().rows();
    out_cols = out.value().cols();
  });
  RunTimes fwd_bwd = time_prepared_runs(
      warmups, c.repeats, [&] { return seed_gradient(cache, out_rows, out_cols, seed_table); },
      [&](Tensor<float> seed) {
        Tape<float> tape(cache);
        const Var<float> out = layer.forward(tape, tape.view(x));
        tape.backward(out, std::move(seed));
      });
  const double rss = peak_rss_mib();
  const bool multi_head = nn::conv_info(c.layer).traits.multi_head;

  nlohmann::json kernels = nlohmann::json::array();
  double forward_kernels_ms = 0, all_kernels_ms = 0;
  double forward_kernels_min_ms = 0, all_kernels_min_ms = 0;
  for (KernelRun& k : layer.make_kernels()) {
    RunTimes t = time_runs(1, c.repeats, k.run);
    all_kernels_ms += t.median_ms;
    all_kernels_min_ms += t.min_ms;
    if (!k.backward) forward_kernels_ms += t.median_ms, forward_kernels_min_ms += t.min_ms;
    nlohmann::json j{{"name", k.name},
                     {"ms", t.median_ms},
                     {"ms_min", t.min_ms},
                     {"pass", k.backward ? "bwd" : "fwd"}};
    if (k.bytes > 0) {
      j["bytes"] = k.bytes;
      j["gb_per_s"] = k.bytes / (t.median_ms * 1e-3) / 1e9;
    }
    if (k.flops > 0) j["gflop_per_s"] = k.flops / (t.median_ms * 1e-3) / 1e9;
    kernels.push_back(j);
  }

  nlohmann::json result{
      {"layer", c.layer},
      {"graph", c.graph},
      {"nodes", c.nodes},
      {"edges", c.edges},
      {"edges_with_self_loops", graph.num_edges()},
      {"in_channels", c.in_channels},
      {"heads", multi_head ? c.heads : 1},
      {"out_channels", multi_head ? c.out_channels : c.heads * c.out_channels},
      {"threads", num_threads()},
      {"blas_core", blas_core()},
      {"blas_threading", blas_threading()},
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
  // The time budget: what the layer spends outside its kernels (allocation,
  // copies, element-wise passes, the tape), as a share of its time.
  if (!kernels.empty()) {
    result["fwd_kernels_ms"] = forward_kernels_ms;
    result["fwd_bwd_kernels_ms"] = all_kernels_ms;
    result["fwd_overhead_share"] = 1.0 - forward_kernels_ms / fwd.median_ms;
    result["fwd_bwd_overhead_share"] = 1.0 - all_kernels_ms / fwd_bwd.median_ms;
    // The same from the fastest runs: this shared machine's slow spells
    // (seconds long) can fall on the layer's runs and not the kernels', or
    // the other way round; minimums are what each took without them.
    result["fwd_overhead_share_min"] = 1.0 - forward_kernels_min_ms / fwd.min_ms;
    result["fwd_bwd_overhead_share_min"] = 1.0 - all_kernels_min_ms / fwd_bwd.min_ms;
  }
  return result;
}

}  // namespace heed::bench
