#include "heed/kernels/spmm.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "feature_loops.hpp"
#include "heed/error.hpp"
#include "row_ranges.hpp"

namespace heed::kernels {

template <class T>
std::int64_t count_nonzeros(const Tensor<T>& dense) {
  std::int64_t count = 0;
  const std::int64_t n = std::int64_t(dense.size());
  const T* v = dense.data();
#pragma omp parallel for schedule(guided) reduction(+ : count)
  for (std::int64_t k = 0; k < n; ++k) count += v[k] != T(0);
  return count;
}

template <class T>
SparseRows<T> sparse_rows(const Tensor<T>& dense) {
  SparseRows<T> a;
  a.cols = std::int64_t(dense.cols());
  a.pattern.indptr.assign(dense.rows() + 1, 0);
  for (std::size_t r = 0; r < dense.rows(); ++r) {
    std::span<const T> row = dense.row(r);
    EdgeId count = 0;
    for (T v : row) count += v != T(0);
    a.pattern.indptr[r + 1] = a.pattern.indptr[r] + count;
  }
  a.pattern.indices.resize(std::size_t(a.pattern.indptr.back()));
  a.values.resize(a.pattern.indices.size());
  const std::int64_t rows = std::int64_t(dense.rows());
#pragma omp parallel for schedule(guided)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::span<const T> row = dense.row(std::size_t(r));
    std::size_t k = std::size_t(a.pattern.indptr[std::size_t(r)]);
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (row[c] == T(0)) continue;
      a.pattern.indices[k] = NodeId(c);
      a.values[k] = row[c];
      ++k;
    }
  }
  return a;
}

template <class T>
SparseRows<T> transpose(const SparseRows<T>& a) {
  SparseRows<T> t;
  t.cols = a.pattern.rows();
  const Csr& p = a.pattern;
  t.pattern.indptr.assign(std::size_t(a.cols) + 1, 0);
  for (NodeId c : p.indices) ++t.pattern.indptr[std::size_t(c) + 1];
  for (std::size_t c = 0; c < std::size_t(a.cols); ++c) {
    t.pattern.indptr[c + 1] += t.pattern.indptr[c];
  }
  t.pattern.indices.resize(p.indices.size());
  t.values.resize(p.indices.size());
  std::vector<EdgeId> next(t.pattern.indptr.begin(), t.pattern.indptr.end() - 1);
  // Visiting rows in order keeps each transposed row sorted.
  for (std::int64_t r = 0; r < p.rows(); ++r) {
    for (EdgeId k = p.indptr[std::size_t(r)]; k < p.indptr[std::size_t(r) + 1]; ++k) {
      const std::size_t dst = std::size_t(next[std::size_t(p.indices[std::size_t(k)])]++);
      t.pattern.indices[dst] = NodeId(r);
      t.values[dst] = a.values[std::size_t(k)];
    }
  }
  return t;
}

template <class T>
void spmm_accumulate(const SparseRows<T>& a, std::span<const T> b, std::int64_t n, std::span<T> out,
                     const HeadDropout<T>& drop) {
  const std::int64_t rows = a.pattern.rows();
  if (b.size() != std::size_t(a.cols * n) || out.size() != std::size_t(rows * n)) {
    throw Error("spmm: shapes do not match (" + std::to_string(rows) + " x " +
                std::to_string(a.cols) + " times " + std::to_string(b.size()) + " values, into " +
                std::to_string(out.size()) + ")");
  }
  if (drop.heads < 1 || n % drop.heads != 0) {
    throw Error("spmm: " + std::to_string(n) + " columns do not split into " +
                std::to_string(drop.heads) + " heads");
  }
  const std::int64_t heads = drop.heads, width = n / heads;
  // Shape of the original matrix, whose entries the mask counters index.
  const std::int64_t orig_cols = drop.transposed ? rows : a.cols;
  const bool masked = drop.dropout.active();
  dispatch_width(int(width), [&]<int kWidth>() {
    for_row_ranges(a.pattern.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
      // A row's masks, drawn together: one counter run of `heads` per entry.
      constexpr std::int64_t kChunk = 64;
      std::vector<std::uint64_t> firsts(kChunk);
      std::vector<T> scale_buffer(std::size_t(kChunk * heads));
      for (std::int64_t i = row_begin; i < row_end; ++i) {
        T* o = out.data() + i * n;
        const EdgeId row_begin_k = a.pattern.indptr[std::size_t(i)];
        const EdgeId row_end_k = a.pattern.indptr[std::size_t(i) + 1];
        if (!masked) {
          for (EdgeId k = row_begin_k; k < row_end_k; ++k) {
            const T v = a.values[std::size_t(k)];
            const T* bk = b.data() + std::int64_t(a.pattern.indices[std::size_t(k)]) * n;
            for (std::int64_t h = 0; h < heads; ++h) {
              axpy<kWidth>(v, bk + h * width, o + h * width, int(width));
            }
          }
          continue;
        }
        for (EdgeId k0 = row_begin_k; k0 < row_end_k; k0 += kChunk) {
          const int count = int(std::min<EdgeId>(kChunk, row_end_k - k0));
          // The heads of one entry are consecutive counters.
          for (int c = 0; c < count; ++c) {
            const std::int64_t col = a.pattern.indices[std::size_t(k0 + c)];
            const std::int64_t r0 = drop.transposed ? col : i, c0 = drop.transposed ? i : col;
            firsts[std::size_t(c)] = std::uint64_t((r0 * orig_cols + c0) * heads);
          }
          drop.dropout.scales_at(firsts.data(), count, int(heads), scale_buffer.data());
          for (int c = 0; c < count; ++c) {
            const EdgeId k = k0 + c;
            const T v = a.values[std::size_t(k)];
            const T* bk = b.data() + std::int64_t(a.pattern.indices[std::size_t(k)]) * n;
            const T* scale = scale_buffer.data() + std::int64_t(c) * heads;
            // No branch on dropped heads: at p = 0.6 it would mispredict
            // often, which costs more than the multiplies by zero it saves.
            for (std::int64_t h = 0; h < heads; ++h) {
              axpy<kWidth>(v * scale[h], bk + h * width, o + h * width, int(width));
            }
          }
        }
      }
    });
  });
}

#define HEED_INSTANTIATE(T)                                                                \
  template std::int64_t count_nonzeros<T>(const Tensor<T>&);                               \
  template SparseRows<T> sparse_rows<T>(const Tensor<T>&);                                 \
  template SparseRows<T> transpose<T>(const SparseRows<T>&);                               \
  template void spmm_accumulate<T>(const SparseRows<T>&, std::span<const T>, std::int64_t, \
                                   std::span<T>, const HeadDropout<T>&);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
