#pragma once
// One layer at one size, timed forward and forward+backward through the tape
// (what a model pays), and its sparse kernels timed alone, each with the
// bytes it must move at least, so its bandwidth can be set against the
// machine's.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace heed::bench {

struct LayerCase {
  std::string layer = "gat";      // gat | gatv2 | gcn
  std::string graph = "uniform";  // uniform | powerlaw
  std::int64_t nodes = 100'000;
  std::int64_t edges = 1'000'000;
  int in_channels = 64;
  int heads = 8;         // gat, gatv2
  int out_channels = 8;  // per head; gcn uses heads * out_channels
  int repeats = 5;
  std::uint64_t seed = 0;
};

/// Runs the case in this process and returns one JSON object with `layer`,
/// `nodes`, `edges`, `fwd_ms`, `fwd_bwd_ms` (medians) and their min and max,
/// `edges_per_second`, `peak_rss_mib` (this process so far) and `kernels`
/// (name, ms, pass, modelled bytes or flops, GB/s). Layers with a kernel
/// case also get the time budget: `fwd_kernels_ms` and `fwd_bwd_kernels_ms`
/// (their kernels' medians summed: projections, the sparse kernel, the
/// weights' gradients) and `fwd_overhead_share`, `fwd_bwd_overhead_share`
/// (1 - kernels / layer). Bandwidth fractions are added by the caller,
/// which knows the triad figure.
nlohmann::json run_layer_benchmark(const LayerCase& c);

}  // namespace heed::bench
