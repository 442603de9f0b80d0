#pragma once
// Sparse times dense products for inputs that are mostly zeros (bag-of-words
// features after dropout): the zeros cost neither a multiply nor a load.
#include <cstdint>
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"
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

/// out += a b, with b (a.cols x n) and out (a.rows x n) dense row-major.
///   out[i, :] += sum_k a[i, k] b[k, :]
/// Row-parallel, balanced by nonzeros; each thread writes only its own rows,
/// so results do not depend on the thread count.
template <class T>
void spmm_accumulate(const SparseRows<T>& a, std::span<const T> b, std::int64_t n,
                     std::span<T> out);

}  // namespace heed::kernels
