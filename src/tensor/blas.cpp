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

template <class T>
void check_shapes(Transpose ta, Transpose tb, const Tensor<T>& a, const Tensor<T>& b,
                  const Tensor<T>& c) {
  std::size_t m = ta == Transpose::kYes ? a.cols() : a.rows();
  std::size_t k = ta == Transpose::kYes ? a.rows() : a.cols();
  std::size_t kb = tb == Transpose::kYes ? b.cols() : b.rows();
  std::size_t n = tb == Transpose::kYes ? b.rows() : b.cols();
  if (k != kb || c.rows() != m || c.cols() != n) {
    throw Error("gemm: shapes do not match: op(A) " + std::to_string(m) + " x " +
                std::to_string(k) + ", op(B) " + std::to_string(kb) + " x " + std::to_string(n) +
                ", C " + c.shape_string());
  }
}

}  // namespace

template <>
void gemm<float>(Transpose ta, Transpose tb, float alpha, const Tensor<float>& a,
                 const Tensor<float>& b, float beta, Tensor<float>& c) {
  check_shapes(ta, tb, a, b, c);
  int m = static_cast<int>(c.rows()), n = static_cast<int>(c.cols());
  int k = static_cast<int>(ta == Transpose::kYes ? a.rows() : a.cols());
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), m, n, k, alpha, a.data(),
              static_cast<int>(a.cols()), b.data(), static_cast<int>(b.cols()), beta, c.data(), n);
}

template <>
void gemm<double>(Transpose ta, Transpose tb, double alpha, const Tensor<double>& a,
                  const Tensor<double>& b, double beta, Tensor<double>& c) {
  check_shapes(ta, tb, a, b, c);
  int m = static_cast<int>(c.rows()), n = static_cast<int>(c.cols());
  int k = static_cast<int>(ta == Transpose::kYes ? a.rows() : a.cols());
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), m, n, k, alpha, a.data(),
              static_cast<int>(a.cols()), b.data(), static_cast<int>(b.cols()), beta, c.data(), n);
}

namespace {

template <class T>
void check_view_shapes(Transpose ta, Transpose tb, const MatrixView<const T>& a,
                       const MatrixView<const T>& b, const MatrixView<T>& c) {
  const std::size_t m = ta == Transpose::kYes ? a.cols : a.rows;
  const std::size_t k = ta == Transpose::kYes ? a.rows : a.cols;
  const std::size_t kb = tb == Transpose::kYes ? b.cols : b.rows;
  const std::size_t n = tb == Transpose::kYes ? b.rows : b.cols;
  if (k != kb || c.rows != m || c.cols != n || a.stride < a.cols || b.stride < b.cols ||
      c.stride < c.cols) {
    throw Error("gemm: views do not match: op(A) " + std::to_string(m) + " x " +
                std::to_string(k) + ", op(B) " + std::to_string(kb) + " x " + std::to_string(n) +
                ", C " + std::to_string(c.rows) + " x " + std::to_string(c.cols));
  }
}

}  // namespace

template <>
void gemm<float>(Transpose ta, Transpose tb, float alpha, MatrixView<const float> a,
                 MatrixView<const float> b, float beta, MatrixView<float> c) {
  check_view_shapes(ta, tb, a, b, c);
  const int k = static_cast<int>(ta == Transpose::kYes ? a.rows : a.cols);
  if (c.rows == 0 || c.cols == 0) return;
  cblas_sgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), static_cast<int>(c.rows),
              static_cast<int>(c.cols), k, alpha, a.data, static_cast<int>(a.stride), b.data,
              static_cast<int>(b.stride), beta, c.data, static_cast<int>(c.stride));
}

template <>
void gemm<double>(Transpose ta, Transpose tb, double alpha, MatrixView<const double> a,
                  MatrixView<const double> b, double beta, MatrixView<double> c) {
  check_view_shapes(ta, tb, a, b, c);
  const int k = static_cast<int>(ta == Transpose::kYes ? a.rows : a.cols);
  if (c.rows == 0 || c.cols == 0) return;
  cblas_dgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), static_cast<int>(c.rows),
              static_cast<int>(c.cols), k, alpha, a.data, static_cast<int>(a.stride), b.data,
              static_cast<int>(b.stride), beta, c.data, static_cast<int>(c.stride));
}

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
