#pragma once
// Dense products go to CBLAS (OpenBLAS); heed never writes its own GEMM.
#include "heed/tensor/tensor.hpp"

namespace heed {

enum class Transpose { kNo, kYes };

/// C = alpha * op(A) op(B) + beta * C. Shapes are checked; C must already have
/// the result's shape.
template <class T>
void gemm(Transpose trans_a, Transpose trans_b, T alpha, const Tensor<T>& a, const Tensor<T>& b,
          T beta, Tensor<T>& c);

/// Sets the threads used by heed's kernels (OpenMP) and by BLAS. 0 keeps the
/// runtime default.
void set_num_threads(int threads);
int num_threads();

}  // namespace heed
