#include "heed/train/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <string>

#include "heed/error.hpp"

namespace heed::train {
namespace {

template <class A, class B>
void same_length(const char* metric, std::span<A> a, std::span<B> b) {
  if (a.size() != b.size()) {
    throw Error(std::string(metric) + ": " + std::to_string(a.size()) + " predictions for " +
                std::to_string(b.size()) + " targets");
  }
}

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

}  // namespace

template <class T>
std::vector<std::int32_t> predicted_classes(const Tensor<T>& scores, std::span<const NodeId> rows) {
  std::vector<std::int32_t> out;
  out.reserve(rows.size());
  for (NodeId r : rows) {
    std::span<const T> s = scores.row(std::size_t(r));
    std::size_t best = 0;
    for (std::size_t c = 1; c < s.size(); ++c) {
      if (s[c] > s[best]) best = c;
    }
    out.push_back(std::int32_t(best));
  }
  return out;
}

template <class T>
double accuracy(const Tensor<T>& scores, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows) {
  if (rows.empty()) return 0.0;
  const std::vector<std::int32_t> predicted = predicted_classes(scores, rows);
  std::size_t correct = 0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (predicted[k] == labels[std::size_t(rows[k])]) ++correct;
  }
  return double(correct) / double(rows.size());
}

double accuracy(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth) {
  same_length("accuracy", predicted, truth);
  if (truth.empty()) return 0.0;
  std::size_t correct = 0;
  for (std::size_t k = 0; k < truth.size(); ++k) correct += predicted[k] == truth[k];
  return double(correct) / double(truth.size());
}

double micro_f1(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth) {
  same_length("micro_f1", predicted, truth);
  if (truth.empty()) return 0.0;
  // Pooled over classes: TP = correct rows; each wrong row is one FP (its
  // predicted class) and one FN (its true class).
  std::size_t tp = 0;
  for (std::size_t k = 0; k < truth.size(); ++k) tp += predicted[k] == truth[k];
  const double wrong = double(truth.size() - tp);
  return 2.0 * double(tp) / (2.0 * double(tp) + 2.0 * wrong);
}

double macro_f1(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth) {
  same_length("macro_f1", predicted, truth);
  if (truth.empty()) return 0.0;
  std::set<std::int32_t> classes(truth.begin(), truth.end());
  classes.insert(predicted.begin(), predicted.end());
  double sum = 0;
  for (std::int32_t c : classes) {
    double tp = 0, fp = 0, fn = 0;
    for (std::size_t k = 0; k < truth.size(); ++k) {
      tp += predicted[k] == c && truth[k] == c;
      fp += predicted[k] == c && truth[k] != c;
      fn += predicted[k] != c && truth[k] == c;
    }
    sum += 2 * tp / (2 * tp + fp + fn);  // the class occurs, so the sum is > 0
  }
  return sum / double(classes.size());
}

double roc_auc(std::span<const double> scores, std::span<const std::uint8_t> positive) {
  same_length("roc_auc", scores, positive);
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Sum of the positives' ranks (1-based), ties sharing their mean rank.
  double rank_sum = 0, positives = 0;
  for (std::size_t k = 0; k < n;) {
    std::size_t end = k;
    while (end < n && scores[order[end]] == scores[order[k]]) ++end;
    const double mean_rank = 0.5 * double(k + 1 + end);  // mean of k+1 .. end
    for (std::size_t m = k; m < end; ++m) {
      if (positive[order[m]]) {
        rank_sum += mean_rank;
        positives += 1;
      }
    }
    k = end;
  }
  const double negatives = double(n) - positives;
  if (positives == 0 || negatives == 0) return kUndefined;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

double average_precision(std::span<const double> scores, std::span<const std::uint8_t> positive) {
  same_length("average_precision", scores, positive);
  const std::size_t n = scores.size();
  double total_positive = 0;
  for (std::uint8_t p : positive) total_positive += p != 0;
  if (total_positive == 0) return kUndefined;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  double tp = 0, fp = 0, recall_before = 0, ap = 0;
  for (std::size_t k = 0; k < n;) {
    std::size_t end = k;
    while (end < n && scores[order[end]] == scores[order[k]]) ++end;
    for (std::size_t m = k; m < end; ++m) (positive[order[m]] ? tp : fp) += 1;
    const double recall = tp / total_positive, precision = tp / (tp + fp);
    ap += (recall - recall_before) * precision;
    recall_before = recall;
    k = end;
  }
  return ap;
}

double rmse(std::span<const double> predicted, std::span<const double> truth) {
  same_length("rmse", predicted, truth);
  if (truth.empty()) return 0.0;
  double sum = 0;
  for (std::size_t k = 0; k < truth.size(); ++k)
    sum += (predicted[k] - truth[k]) * (predicted[k] - truth[k]);
  return std::sqrt(sum / double(truth.size()));
}

double mae(std::span<const double> predicted, std::span<const double> truth) {
  same_length("mae", predicted, truth);
  if (truth.empty()) return 0.0;
  double sum = 0;
  for (std::size_t k = 0; k < truth.size(); ++k) sum += std::abs(predicted[k] - truth[k]);
  return sum / double(truth.size());
}

MeanStd mean_std(std::span<const double> values) {
  MeanStd result;
  if (values.empty()) return result;
  for (double v : values) result.mean += v;
  result.mean /= double(values.size());
  if (values.size() < 2) return result;
  double squares = 0;
  for (double v : values) squares += (v - result.mean) * (v - result.mean);
  result.std = std::sqrt(squares / double(values.size() - 1));
  return result;
}

template double accuracy(const Tensor<float>&, std::span<const std::int32_t>,
                         std::span<const NodeId>);
template double accuracy(const Tensor<double>&, std::span<const std::int32_t>,
                         std::span<const NodeId>);
template std::vector<std::int32_t> predicted_classes(const Tensor<float>&, std::span<const NodeId>);
template std::vector<std::int32_t> predicted_classes(const Tensor<double>&,
                                                     std::span<const NodeId>);

}  // namespace heed::train
