#include "heed/tensor/blas.hpp"

#include <cblas.h>
#include <omp.h>

#include <string>

#include "heed/error.hpp"

namespace heed {
namespace {

CBLAS_TRANSPOSE to_cblas(Transpose t) {
  return t == Transpose::kYes ? CblasTrans : CblasNoTrans;
}

// One check for both forms: a Tensor is a view whose stride is its width.
template <class T>
void check_shapes(Transpose ta, Transpose tb, const MatrixView<const T>& a,
                  const MatrixView<const T>& b, const MatrixView<T>& c) {
  const std::size_t m = ta == Transpose::kYes ? a.cols : a.rows;
  const std::size_t k = ta == Transpose::kYes ? a.rows : a.cols;
  const std::size_t kb = tb == Transpose::kYes ? b.cols : b.rows;
  const std::size_t n = tb == Transpose::kYes ? b.rows : b.cols;
  if (k != kb || c.rows != m || c.cols != n || a.stride < a.cols || b.stride < b.cols ||
      c.stride < c.cols) {
    throw Error("gemm: shapes do not match: op(A) " + std::to_string(m) + " x " +
                std::to_string(k) + ", op(B) " + std::to_string(kb) + " x " + std::to_string(n) +
                ", C " + std::to_string(c.rows) + " x " + std::to_string(c.cols));
  }
}

void cblas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
                const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void cblas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
                const double* a, int lda, const double* b, int ldb, double beta, double* c,
                int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

template <class T>
void gemm(Transpose ta, Transpose tb, T alpha, MatrixView<const T> a, MatrixView<const T> b, T beta,
          MatrixView<T> c) {
  check_shapes(ta, tb, a, b, c);
  const int k = static_cast<int>(ta == Transpose::kYes ? a.rows : a.cols);
  if (c.rows == 0 || c.cols == 0) return;
  cblas_gemm(to_cblas(ta), to_cblas(tb), static_cast<int>(c.rows), static_cast<int>(c.cols), k,
             alpha, a.data, static_cast<int>(a.stride), b.data, static_cast<int>(b.stride), beta,
             c.data, static_cast<int>(c.stride));
}

template <class T>
void gemm(Transpose ta, Transpose tb, T alpha, const Tensor<T>& a, const Tensor<T>& b, T beta,
          Tensor<T>& c) {
  gemm<T>(ta, tb, alpha, MatrixView<const T>{a.data(), a.rows(), a.cols(), a.cols()},
          MatrixView<const T>{b.data(), b.rows(), b.cols(), b.cols()}, beta,
          MatrixView<T>{c.data(), c.rows(), c.cols(), c.cols()});
}

template void gemm<float>(Transpose, Transpose, float, MatrixView<const float>,
                          MatrixView<const float>, float, MatrixView<float>);
template void gemm<double>(Transpose, Transpose, double, MatrixView<const double>,
                           MatrixView<const double>, double, MatrixView<double>);
template void gemm<float>(Transpose, Transpose, float, const Tensor<float>&, const Tensor<float>&,
                          float, Tensor<float>&);
template void gemm<double>(Transpose, Transpose, double, const Tensor<double>&,
                           const Tensor<double>&, double, Tensor<double>&);

void set_num_threads(int threads) {
  if (threads < 0) throw Error("threads must be >= 0, got " + std::to_string(threads));
  if (threads == 0) return;
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

int num_threads() {
  return omp_get_max_threads();
}

std::string blas_core() {
  const char* name = openblas_get_corename();
  return name ? std::string(name) : std::string();
}

std::string blas_threading() {
  switch (openblas_get_parallel()) {
    case 0:
      return "sequential";
    case 1:
      return "pthreads";
    case 2:
      return "OpenMP";
    default:
      return "unknown";
  }
}

std::string better_blas_core() {
  const std::string core = blas_core();
  // The generic fallbacks OpenBLAS uses when it does not recognise a CPU.
  const bool generic = core == "Prescott" || core == "Core2" || core == "Nehalem" ||
                       core == "Katmai" || core == "Banias" || core == "Atom";
  if (!generic) return {};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return {};
}

}  // namespace heed
