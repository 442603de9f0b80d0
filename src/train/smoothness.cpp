#include "heed/train/smoothness.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace heed::train {

double mean_pairwise_distance(const Tensor<float>& h) {
  const std::size_t n = h.rows(), d = h.cols();
  if (n < 2) return 0.0;
  std::vector<double> unit(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (std::size_t c = 0; c < d; ++c) norm += double(h(i, c)) * double(h(i, c));
    const double inv = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
    for (std::size_t c = 0; c < d; ++c) unit[i * d + c] = double(h(i, c)) * inv;
  }
  // Per-row partial sums, added in row order: the same on any thread count.
  std::vector<double> row_sum(n);
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t i = 0; i < std::int64_t(n); ++i) {
    const double* a = &unit[std::size_t(i) * d];
    double s = 0;
    for (std::size_t j = std::size_t(i) + 1; j < n; ++j) {
      const double* b = &unit[j * d];
      double sq = 0;
      for (std::size_t c = 0; c < d; ++c) sq += (a[c] - b[c]) * (a[c] - b[c]);
      s += std::sqrt(sq);
    }
    row_sum[std::size_t(i)] = s;
  }
  double total = 0;
  for (double s : row_sum) total += s;
  return total / (double(n) * double(n - 1) / 2.0);
}

double dirichlet_energy(const Tensor<float>& h, const Graph& graph) {
  const Csr& in = graph.in();
  const std::size_t n = h.rows(), d = h.cols();
  if (n == 0) return 0.0;
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (NodeId src : in.neighbours(std::int64_t(i))) {
      const std::size_t j = std::size_t(src);
      if (j == i) continue;
      for (std::size_t c = 0; c < d; ++c) {
        const double diff = double(h(i, c)) - double(h(j, c));
        total += diff * diff;
      }
    }
  }
  return total / double(n);
}

}  // namespace heed::train
