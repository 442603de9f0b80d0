#pragma once
// The gradient of a bias added to every row: the column sums of the output's
// gradient. Shared by add_bias and the ops that fuse their bias.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "heed/tensor/tensor.hpp"

namespace heed::ops {

// sums[c] += sum_r g[r, c]. Rows go in blocks of fixed size, whatever the
// thread count; each thread sums its own blocks into its own partial row,
// and the partials are added in block order, so the result does not depend
// on the number of threads.
template <class T>
void add_column_sums(const Tensor<T>& g, T* sums) {
  constexpr std::int64_t kBlock = 2048;
  const std::int64_t rows = std::int64_t(g.rows()), cols = std::int64_t(g.cols());
  const std::int64_t blocks = (rows + kBlock - 1) / kBlock;
  std::vector<T> partial(std::size_t(blocks * cols), T(0));
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    T* __restrict p = partial.data() + b * cols;
    for (std::int64_t r = b * kBlock; r < std::min(rows, (b + 1) * kBlock); ++r) {
      const T* __restrict gr = g.data() + r * cols;
      for (std::int64_t c = 0; c < cols; ++c) p[c] += gr[c];
    }
  }
  for (std::int64_t b = 0; b < blocks; ++b) {
    for (std::int64_t c = 0; c < cols; ++c) sums[c] += partial[std::size_t(b * cols + c)];
  }
}

}  // namespace heed::ops
