#pragma once
// One full-batch training epoch of the GAT paper's 2-layer model: forward with
// dropout, loss on the training nodes, backward, Adam step. This is what PyG's
// example times per epoch; the validation forward a training run adds is
// reported apart.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace heed::bench {

struct EpochCase {
  std::string data = "cora";  // a dataset folder or name (resolve_dataset)
  int epochs = 50;            // timed, after a few warm-up epochs
  std::uint64_t seed = 0;
};

/// JSON with `layer` ("gat-2layer-epoch"), `nodes`, `edges`, `fwd_ms` (the
/// training forward), `fwd_bwd_ms` (the epoch: forward, backward and step),
/// `eval_ms` (a forward without dropout) and `peak_rss_mib`.
nlohmann::json run_epoch_benchmark(const EpochCase& c);

}  // namespace heed::bench
