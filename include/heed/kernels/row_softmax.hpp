#pragma once
// The softmax of dense score matrices, row by row: the whole element-wise
// cost of dense (transformer) attention, where the products go to BLAS.
// A block is `rows` x `cols` values, row-major and contiguous.
#include <cstdint>
#include <span>

namespace heed::kernels {

/// In place: row i becomes softmax over the columns j with mask[i * cols + j]
/// nonzero (every column when `mask` is empty); the others become 0, and a
/// row with no allowed column becomes zeros.
///   a_ij = exp(s_ij - max_j s_ij) / sum_j exp(s_ij - max_j s_ij)
/// Row-parallel: each thread owns whole rows, so no two write one value.
template <class T>
void masked_row_softmax(std::span<T> scores, std::int64_t rows, std::int64_t cols,
                        std::span<const std::uint8_t> mask = {});

/// The backward of a row softmax, in place over the upstream gradient:
///   grad_ij <- scale * a_ij (grad_ij - sum_k a_ik grad_ik)
/// (scale folds in a factor applied to the scores, 1 / sqrt(d) for attention).
/// Row-parallel like the forward.
template <class T>
void row_softmax_backward(std::span<const T> softmax, std::span<T> grad, std::int64_t rows,
                          std::int64_t cols, T scale = T(1));

}  // namespace heed::kernels
