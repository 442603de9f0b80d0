#pragma once
// Scores of a node classifier and summaries of repeated runs.
#include <cstdint>
#include <span>

#include "heed/graph/graph.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::train {

/// Fraction of `rows` whose arg-max score equals their label (ties go to the
/// lower class). 0 for no rows.
template <class T>
double accuracy(const Tensor<T>& scores, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows);

/// Mean and sample standard deviation (n - 1; 0 for fewer than two values).
struct MeanStd {
  double mean = 0;
  double std = 0;
};
MeanStd mean_std(std::span<const double> values);

}  // namespace heed::train
