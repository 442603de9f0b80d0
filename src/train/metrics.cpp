#include "heed/train/metrics.hpp"

#include <cmath>

namespace heed::train {

template <class T>
double accuracy(const Tensor<T>& scores, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows) {
  if (rows.empty()) return 0.0;
  std::size_t correct = 0;
  for (NodeId r : rows) {
    std::span<const T> s = scores.row(std::size_t(r));
    std::size_t best = 0;
    for (std::size_t c = 1; c < s.size(); ++c) {
      if (s[c] > s[best]) best = c;
    }
    if (std::int32_t(best) == labels[std::size_t(r)]) ++correct;
  }
  return double(correct) / double(rows.size());
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

}  // namespace heed::train
