#pragma once
// One training epoch over a whole-graph dataset (MUTAG, ESOL): every graph,
// shuffled, in batches, each batch built, run forward and backward and
// followed by an Adam step. This is what a PyG loop over its DataLoader
// times (bench/peers/pyg_graph_epoch.py is that peer).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace heed::bench {

struct GraphEpochCase {
  std::string data;  // a graph dataset's folder or name (resolve_dataset)
  int epochs = 20;   // timed, after two warm-up epochs
  int batch_size = 128;
  std::uint64_t seed = 0;
};

/// The model is a GATConv stack of two layers of 8 heads x 8 features
/// (ELU), a mean readout and a 64-wide MLP head, without dropout or edge
/// features; cross-entropy for classes, MSE for targets. JSON with `layer`
/// ("gat-2layer-graph-epoch"), `data`, `graphs`, `nodes`, `edges`,
/// `batch_size`, `epoch_ms` (median; `epoch_ms_min`, `epoch_ms_max`),
/// `eval_ms` (a forward over every graph in batches, without a tape's
/// gradients) and `peak_rss_mib`.
nlohmann::json run_graph_epoch_benchmark(const GraphEpochCase& c);

}  // namespace heed::bench
