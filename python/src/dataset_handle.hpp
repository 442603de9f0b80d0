#pragma once
// What the Python side holds of a dataset: the dataset, shared with the
// arrays that view it, and where it came from (for checkpoints).
#include <memory>
#include <optional>

#include "heed/data/dataset.hpp"
#include "heed/data/dataset_source.hpp"

namespace heed::python {

struct DatasetHandle {
  std::shared_ptr<const data::Dataset> dataset;
  std::optional<data::DatasetSource> source;  // none for arrays
};

}  // namespace heed::python
