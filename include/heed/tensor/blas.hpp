#pragma once
// Dense products go to CBLAS (OpenBLAS); heed never writes its own GEMM.
#include <string>

#include "heed/tensor/tensor.hpp"

namespace heed {

enum class Transpose { kNo, kYes };

/// C = alpha * op(A) op(B) + beta * C. Shapes are checked; C must already have
/// the result's shape.
template <class T>
void gemm(Transpose trans_a, Transpose trans_b, T alpha, const Tensor<T>& a, const Tensor<T>& b,
          T beta, Tensor<T>& c);

/// A row-major matrix inside a larger buffer: `rows` x `cols` values whose
/// rows start `stride` apart (one head's columns of an N x (H * d) matrix,
/// one head's block of stacked attention matrices).
template <class T>
struct MatrixView {
  T* data = nullptr;
  std::size_t rows = 0, cols = 0, stride = 0;
};

/// The same product over views, so that heads need no copies.
template <class T>
void gemm(Transpose trans_a, Transpose trans_b, T alpha, MatrixView<const T> a,
          MatrixView<const T> b, T beta, MatrixView<T> c);

/// Sets the threads used by heed's kernels (OpenMP) and by BLAS. 0 keeps the
/// runtime default.
void set_num_threads(int threads);
int num_threads();

/// The CPU kernel set OpenBLAS chose at load time ("Haswell", "SkylakeX", ...).
std::string blas_core();
/// How the loaded OpenBLAS runs in parallel: "OpenMP", "pthreads" or
/// "sequential". Debian's OpenMP build shares heed's OpenMP threads; its
/// pthreads build keeps threads of its own spinning after each product,
/// which take the cores from heed's kernels (measured on 2 cores: GATConv
/// fwd+bwd 9 to 16 % slower).
std::string blas_threading();
/// What OPENBLAS_CORETYPE should name on this CPU when OpenBLAS fell back to
/// a generic kernel set it did not need (seen on VMs that mask the CPU model:
/// "Prescott", SSE3 only, at half the speed of the AVX2 or AVX-512 kernels);
/// empty when the choice is fine. OpenBLAS reads the variable once, when it
/// is loaded, so only a new process can act on it (the heed tool re-executes
/// itself).
std::string better_blas_core();

}  // namespace heed
