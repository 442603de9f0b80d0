#pragma once
// Where a command's graph comes from: a dataset folder or name, or heed's
// synthetic graph. Checkpoints record it, so `heed eval` and friends can run
// on the graph a model was trained on without being told again.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "heed/data/dataset.hpp"
#include "heed/data/synthetic.hpp"

namespace heed::cli {

struct DatasetSource {
  std::optional<std::string> data;  // none: the synthetic graph
  data::SyntheticOptions synthetic;
  bool normalise_features = true;  // real datasets only
};

/// Adds --data and --normalise-features to `cmd`.
void add_dataset_options(CLI::App& cmd, DatasetSource& source);

/// Loads the dataset, or generates the synthetic graph (seeded by
/// synthetic.seed).
data::Dataset load(const DatasetSource& source);

nlohmann::json to_json(const DatasetSource& source);
/// heed::Error prefixed by `context` for a missing or mistyped field.
DatasetSource dataset_source_from_json(const nlohmann::json& j, const std::string& context);

}  // namespace heed::cli
