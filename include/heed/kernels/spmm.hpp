#pragma once
// Sparse times dense products for inputs that are mostly zeros (bag-of-words
// features after dropout): the zeros cost neither a multiply nor a load.
#include <cstdint>
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"
#include "heed/tensor/random.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::kernels {

/// The nonzeros of a rows x cols matrix, row by row.
template <class T>
struct SparseRows {
  Csr pattern;            // column indices of each row's nonzeros, ascending
  std::vector<T> values;  // one per entry of pattern.indices
  std::int64_t cols = 0;
};

/// Number of nonzero entries of a dense matrix.
template <class T>
std::int64_t count_nonzeros(const Tensor<T>& dense);

/// The nonzeros of `dense`.
template <class T>
SparseRows<T> sparse_rows(const Tensor<T>& dense);

/// The same matrix transposed (cols x rows), entries of each row in ascending order.
template <class T>
SparseRows<T> transpose(const SparseRows<T>& a);

/// A constant sparse matrix stored both by rows (for products with it) and by
/// columns (for products with its transpose, in backward passes), built once.
template <class T>
struct SparseMatrix {
  SparseRows<T> by_row;
  SparseRows<T> by_column;
  std::int64_t rows() const { return by_row.pattern.rows(); }
  std::int64_t cols() const { return by_row.cols; }
};

template <class T>
SparseMatrix<T> sparse_matrix(const Tensor<T>& dense) {
  SparseMatrix<T> m;
  m.by_row = sparse_rows(dense);
  m.by_column = transpose(m.by_row);
  return m;
}

/// Dropout masks of a sparse product with one independent mask per head:
/// entry (i, c) of the original rows x cols matrix, for head h, is scaled by
/// dropout.scale((i * cols + c) * heads + h), so the heads of one entry are
/// consecutive counters (one draw serves four). `transposed` says the matrix
/// handed to the kernel is the original's transpose, so that the same
/// entries get the same draws in forward and backward.
template <class T>
struct HeadDropout {
  int heads = 1;
  KeyedDropout<T> dropout{};
  bool transposed = false;
};

/// out += a b, with b (a.cols x n) and out (a.rows x n) dense row-major.
///   out[i, h-block] += sum_k a[i, k] * mask_h(i, k) * b[k, h-block]
/// where n splits into `drop.heads` blocks of n / heads columns (one block and
/// no mask by default). Row-parallel, balanced by nonzeros; each thread writes
/// only its own rows, so results do not depend on the thread count.
template <class T>
void spmm_accumulate(const SparseRows<T>& a, std::span<const T> b, std::int64_t n, std::span<T> out,
                     const HeadDropout<T>& drop = {});

}  // namespace heed::kernels
