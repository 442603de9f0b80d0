#pragma once
// The flags that choose a command's dataset (data::DatasetSource).
#include <CLI/CLI.hpp>

#include "heed/data/dataset_source.hpp"

namespace heed::cli {

/// Adds --data and --normalise-features to `cmd`.
void add_dataset_options(CLI::App& cmd, data::DatasetSource& source);
/// Adds the synthetic graph's flags (--nodes, --classes, ...) to `cmd`.
void add_synthetic_options(CLI::App& cmd, data::SyntheticOptions& synthetic);

}  // namespace heed::cli
