#pragma once
// `heed train` on a whole-graph dataset (a TUDataset folder, molecules from
// SMILES): a graph-level model, trained over cross-validation folds or
// random splits, with the results in the one JSON shape.
#include <filesystem>

#include "train_command.hpp"

namespace heed::cli {

/// Trains on the graph dataset in `dir`; returns the process exit status.
/// Settings not given on the command line take whole-graph defaults.
int run_graph_train(const TrainConfig& config, const std::filesystem::path& dir);

}  // namespace heed::cli
