#pragma once
// Scores of predictions against targets, and summaries of repeated runs.
// Each is written from its textbook definition and tested against values
// worked out by hand (tests/train/metrics_test.cpp).
#include <cstdint>
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::train {

/// Fraction of `rows` whose arg-max score equals their label (ties go to the
/// lower class). 0 for no rows.
template <class T>
double accuracy(const Tensor<T>& scores, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows);

/// The arg-max class of each of `rows` (ties go to the lower class).
template <class T>
std::vector<std::int32_t> predicted_classes(const Tensor<T>& scores, std::span<const NodeId> rows);

/// Share of predictions equal to the truth (0 for none).
double accuracy(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth);
/// F1 of all decisions pooled: 2 TP / (2 TP + FP + FN) summed over classes.
/// With one label per row every error is one FP and one FN, so it equals
/// accuracy; reported for comparison with multi-label work.
double micro_f1(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth);
/// Mean over classes of F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c), over the
/// classes that occur in the truth or the predictions (scikit-learn's
/// average="macro").
double macro_f1(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth);
/// Area under the ROC curve: the probability that a random positive scores
/// above a random negative, ties counting one half (Mann-Whitney U with
/// average ranks). NaN unless both classes occur.
double roc_auc(std::span<const double> scores, std::span<const std::uint8_t> positive);
/// Average precision: sum over distinct thresholds, from the highest, of
/// (R_k - R_{k-1}) P_k, with tied scores one threshold (scikit-learn's
/// definition). NaN without positives.
double average_precision(std::span<const double> scores, std::span<const std::uint8_t> positive);
/// sqrt(mean (p - y)^2) and mean |p - y| (0 for none).
double rmse(std::span<const double> predicted, std::span<const double> truth);
double mae(std::span<const double> predicted, std::span<const double> truth);

/// Mean and sample standard deviation (n - 1; 0 for fewer than two values).
struct MeanStd {
  double mean = 0;
  double std = 0;
};
MeanStd mean_std(std::span<const double> values);

}  // namespace heed::train
