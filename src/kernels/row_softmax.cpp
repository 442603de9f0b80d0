#include "heed/kernels/row_softmax.hpp"

#include <algorithm>
#include <limits>

#include "heed/kernels/exp.hpp"
#include "size_check.hpp"

namespace heed::kernels {

template <class T>
void masked_row_softmax(std::span<T> scores, std::int64_t rows, std::int64_t cols,
                        std::span<const std::uint8_t> mask) {
  const std::size_t n = std::size_t(cols);
  check_size("masked_row_softmax", "scores", scores.size(), std::size_t(rows) * n);
  if (!mask.empty()) check_size("masked_row_softmax", "mask", mask.size(), std::size_t(rows) * n);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < rows; ++i) {
    T* row = scores.data() + std::size_t(i) * n;
    const std::uint8_t* allowed = mask.empty() ? nullptr : mask.data() + std::size_t(i) * n;
    // The loops are written branch-free with explicit reductions so that
    // they vectorise: the row is the whole cost of dense attention.
    constexpr T kLowest = -std::numeric_limits<T>::infinity();
    T m = kLowest;
    {
      // Sixteen running maxima, so the compiler keeps them in one vector.
      T lane[16];
      std::fill_n(lane, 16, kLowest);
      std::size_t j = 0;
      for (; j + 16 <= n; j += 16) {
        for (std::size_t l = 0; l < 16; ++l) {
          const T value = !allowed || allowed[j + l] ? row[j + l] : kLowest;
          lane[l] = lane[l] > value ? lane[l] : value;
        }
      }
      for (; j < n; ++j) {
        if (!allowed || allowed[j]) m = std::max(m, row[j]);
      }
      for (T value : lane) m = std::max(m, value);
    }
    if (m == kLowest) {
      std::fill_n(row, n, T(0));
      continue;
    }
    // exp over the whole row with the vectorised exp, then the mask.
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) row[j] -= m;
    exp_in_place(row, std::int64_t(n));
    T sum = 0;
    if (allowed) {
#pragma omp simd reduction(+ : sum)
      for (std::size_t j = 0; j < n; ++j) {
        row[j] = allowed[j] ? row[j] : T(0);
        sum += row[j];
      }
    } else {
#pragma omp simd reduction(+ : sum)
      for (std::size_t j = 0; j < n; ++j) sum += row[j];
    }
    const T inv = T(1) / sum;
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) row[j] *= inv;
  }
}

template <class T>
void row_softmax_backward(std::span<const T> softmax, std::span<T> grad, std::int64_t rows,
                          std::int64_t cols, T scale) {
  const std::size_t n = std::size_t(cols);
  check_size("row_softmax_backward", "softmax", softmax.size(), std::size_t(rows) * n);
  check_size("row_softmax_backward", "grad", grad.size(), std::size_t(rows) * n);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < rows; ++i) {
    T* row = grad.data() + std::size_t(i) * n;
    const T* ar = softmax.data() + std::size_t(i) * n;
    T c = 0;
#pragma omp simd reduction(+ : c)
    for (std::size_t j = 0; j < n; ++j) c += ar[j] * row[j];
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) row[j] = ar[j] * (row[j] - c) * scale;
  }
}

#define HEED_INSTANTIATE(T)                                                             \
  template void masked_row_softmax<T>(std::span<T>, std::int64_t, std::int64_t,         \
                                      std::span<const std::uint8_t>);                   \
  template void row_softmax_backward<T>(std::span<const T>, std::span<T>, std::int64_t, \
                                        std::int64_t, T);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
