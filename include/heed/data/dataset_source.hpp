#pragma once
// Where a run's graph comes from: a dataset folder or name, or heed's
// synthetic graph. Checkpoints record it, so a saved model can be run again
// on the graph it was trained on without being told.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "heed/data/dataset.hpp"
#include "heed/data/synthetic.hpp"

namespace heed::data {

struct DatasetSource {
  std::optional<std::string> data;  // a folder or a name (resolve_dataset); none: synthetic
  SyntheticOptions synthetic;
  bool normalise_features = true;  // real datasets only
};

/// Loads the dataset, or generates the synthetic graph (seeded by
/// synthetic.seed).
Dataset load(const DatasetSource& source);

void to_json(nlohmann::json& j, const DatasetSource& source);
/// heed::Error prefixed by `context` for a missing or mistyped field.
DatasetSource dataset_source_from_json(const nlohmann::json& j, const std::string& context);

}  // namespace heed::data
