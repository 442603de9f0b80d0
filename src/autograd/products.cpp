#include "heed/autograd/ops/products.hpp"

#include <algorithm>

#include "heed/autograd/ops/elementwise.hpp"
#include "heed/error.hpp"
#include "heed/kernels/spmm.hpp"
#include "heed/tensor/blas.hpp"
#include "op_checks.hpp"

namespace heed::ops {

template <class T>
Var<T> matmul(Var<T> a, Var<T> b) {
  require_same_tape(a, b, "matmul");
  Tape<T>& tape = a.tape();
  const std::size_t ia = a.id(), ib = b.id();
  // Input features with a sparse form go through their nonzeros, with any
  // deferred dropout drawn inside the product.
  if (!a.requires_grad() && tape.sparse_form(ia)) {
    return head_dropout_matmul(tape.sparse_form(ia), b, 1, tape.sparse_dropout(ia));
  }
  const Tensor<T>& av = a.value();
  const Tensor<T>& bv = b.value();
  if (av.cols() != bv.rows()) {
    throw Error("matmul: " + av.shape_string() + " times " + bv.shape_string());
  }
  // A mostly-zero constant left factor (bag-of-words features, after dropout)
  // goes through its nonzeros only; this is exact, not an approximation.
  if (!a.requires_grad() && mostly_zero(av)) {
    return head_dropout_matmul(
        std::make_shared<const kernels::SparseMatrix<T>>(kernels::sparse_matrix(av)), b, 1,
        KeyedDropout<T>{});
  }
  // With beta = 0, BLAS writes C without reading it.
  Tensor<T> out = tape.uninitialized(av.rows(), bv.cols());
  gemm(Transpose::kNo, Transpose::kNo, T(1), av, bv, T(0), out);
  return tape.record(
      std::move(out), a.requires_grad() || b.requires_grad(), [&tape, ia, ib](const Tensor<T>& g) {
        // dA = dY B^T, dB = A^T dY.
        if (tape.requires_grad(ia)) {
          gemm(Transpose::kNo, Transpose::kYes, T(1), g, tape.value(ib), T(1), tape.grad(ia));
        }
        if (tape.requires_grad(ib)) {
          gemm(Transpose::kYes, Transpose::kNo, T(1), tape.value(ia), g, T(1), tape.grad(ib));
        }
      });
}

namespace {

// x with head h of `heads` dropout masks applied: element k (row-major) has
// counter k * heads + h, as in the sparse path (kernels::HeadDropout).
template <class T>
Tensor<T> masked_for_head(const Tensor<T>& x, const KeyedDropout<T>& drop, int h, int heads) {
  Tensor<T> out = x;
  const std::int64_t n = std::int64_t(x.size());
  if (heads == 1) {
    // Consecutive counters: four elements per draw, in blocks of 64.
#pragma omp parallel for schedule(guided)
    for (std::int64_t b = 0; b < n; b += 64) {
      T scale[64];
      const int count = int(std::min<std::int64_t>(64, n - b));
      drop.scales(std::uint64_t(b), count, scale);
      for (int k = 0; k < count; ++k) out.data()[b + k] *= scale[k];
    }
    return out;
  }
#pragma omp parallel for schedule(guided)
  for (std::int64_t k = 0; k < n; ++k) {
    if (out.data()[k] != T(0)) {
      out.data()[k] *= drop.scale(std::uint64_t(k) * std::uint64_t(heads) + std::uint64_t(h));
    }
  }
  return out;
}

// Columns [begin, begin + width) of m as their own matrix, and back.
template <class T>
Tensor<T> column_block(const Tensor<T>& m, std::size_t begin, std::size_t width) {
  Tensor<T> out = Tensor<T>::uninitialized(m.rows(), width);
  const std::int64_t rows = std::int64_t(m.rows());
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::copy_n(m.row(std::size_t(r)).data() + begin, width, out.row(std::size_t(r)).data());
  }
  return out;
}

template <class T>
void add_column_block(const Tensor<T>& block, std::size_t begin, Tensor<T>& m) {
  const std::int64_t rows = std::int64_t(m.rows());
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    T* dst = m.row(std::size_t(r)).data() + begin;
    const T* src = block.row(std::size_t(r)).data();
    for (std::size_t c = 0; c < block.cols(); ++c) dst[c] += src[c];
  }
}

}  // namespace

template <class T>
Var<T> head_dropout_matmul(Var<T> x, Var<T> w, int heads, const KeyedDropout<T>& drop) {
  require_same_tape(x, w, "head_dropout_matmul");
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("head_dropout_matmul: probability must be in [0, 1), got " +
                std::to_string(drop.p));
  }
  if (!drop.active()) return matmul(x, w);
  Tape<T>& tape = x.tape();
  // Sparse input features without a deferred dropout of their own.
  if (!x.requires_grad() && tape.sparse_form(x.id()) && !tape.sparse_dropout(x.id()).active()) {
    return head_dropout_matmul(tape.sparse_form(x.id()), w, heads, drop);
  }
  const Tensor<T>& xv = x.value();
  const Tensor<T>& wv = w.value();
  if (xv.cols() != wv.rows() || heads < 1 || wv.cols() % std::size_t(heads) != 0) {
    throw Error("head_dropout_matmul: " + xv.shape_string() + " times " + wv.shape_string() +
                " in " + std::to_string(heads) + " heads");
  }
  if (!x.requires_grad() && mostly_zero(xv)) {
    return head_dropout_matmul(
        std::make_shared<const kernels::SparseMatrix<T>>(kernels::sparse_matrix(xv)), w, heads,
        drop);
  }
  // One head: the dropout op (on the tape's buffers, its gradient in place)
  // and one product; the same masks, counter k for element k.
  if (heads == 1) return matmul(dropout(x, drop), w);
  const std::size_t width = wv.cols() / std::size_t(heads);
  Tensor<T> out = tape.zeros(xv.rows(), wv.cols());
  const std::size_t ix = x.id(), iw = w.id();
  for (int h = 0; h < heads; ++h) {
    Tensor<T> block(xv.rows(), width);
    gemm(Transpose::kNo, Transpose::kNo, T(1), masked_for_head(xv, drop, h, heads),
         column_block(wv, std::size_t(h) * width, width), T(0), block);
    add_column_block(block, std::size_t(h) * width, out);
  }
  return tape.record(std::move(out), x.requires_grad() || w.requires_grad(),
                     [&tape, ix, iw, heads, width, drop](const Tensor<T>& g) {
                       const Tensor<T>& xv = tape.value(ix);
                       const Tensor<T>& wv = tape.value(iw);
                       for (int h = 0; h < heads; ++h) {
                         const std::size_t begin = std::size_t(h) * width;
                         const Tensor<T> gh = column_block(g, begin, width);
                         if (tape.requires_grad(iw)) {
                           // dW_h = (mask_h . X)^T dY_h
                           Tensor<T> dw(wv.rows(), width);
                           gemm(Transpose::kYes, Transpose::kNo, T(1),
                                masked_for_head(xv, drop, h, heads), gh, T(0), dw);
                           add_column_block(dw, begin, tape.grad(iw));
                         }
                         if (tape.requires_grad(ix)) {
                           // dX += mask_h . (dY_h W_h^T)
                           Tensor<T> dx(xv.rows(), xv.cols());
                           gemm(Transpose::kNo, Transpose::kYes, T(1), gh,
                                column_block(wv, begin, width), T(0), dx);
                           const Tensor<T> masked = masked_for_head(dx, drop, h, heads);
                           T* gx = tape.grad(ix).data();
                           const T* m = masked.data();
                           const std::int64_t n = std::int64_t(dx.size());
#pragma omp parallel for simd schedule(static)
                           for (std::int64_t k = 0; k < n; ++k) gx[k] += m[k];
                         }
                       }
                     });
}

template <class T>
bool mostly_zero(const Tensor<T>& x) {
  // Stops as soon as the answer is known: a dense input is found out after
  // about a tenth of it, so constant dense inputs pay little for the check.
  const std::int64_t limit = std::int64_t(kSparseDensity * double(x.size()));
  const std::int64_t n = std::int64_t(x.size());
  const T* v = x.data();
  std::int64_t count = 0;
  for (std::int64_t b = 0; b < n; b += 4096) {
    const std::int64_t end = std::min(n, b + 4096);
    for (std::int64_t k = b; k < end; ++k) count += v[k] != T(0);
    if (count > limit) return false;
  }
  return true;
}

template <class T>
Var<T> head_dropout_matmul(std::shared_ptr<const kernels::SparseMatrix<T>> x, Var<T> w, int heads,
                           const KeyedDropout<T>& drop) {
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("head_dropout_matmul: probability must be in [0, 1), got " +
                std::to_string(drop.p));
  }
  Tape<T>& tape = w.tape();
  const Tensor<T>& wv = w.value();
  if (x->cols() != std::int64_t(wv.rows()) || heads < 1 || wv.cols() % std::size_t(heads) != 0) {
    throw Error("head_dropout_matmul: [" + std::to_string(x->rows()) + " x " +
                std::to_string(x->cols()) + "] (sparse) times " + wv.shape_string() + " in " +
                std::to_string(heads) + " heads");
  }
  const std::int64_t n = std::int64_t(wv.cols());
  Tensor<T> out = tape.zeros(std::size_t(x->rows()), wv.cols());
  kernels::spmm_accumulate<T>(x->by_row, wv.values(), n, out.values(), {heads, drop, false});
  const std::size_t iw = w.id();
  return tape.record(std::move(out), w.requires_grad(),
                     [&tape, iw, x, n, heads, drop](const Tensor<T>& g) {
                       // dW_h = (mask_h . X)^T dY_h, row by row of X^T.
                       kernels::spmm_accumulate<T>(x->by_column, g.values(), n,
                                                   tape.grad(iw).values(), {heads, drop, true});
                     });
}

#define HEED_INSTANTIATE(T)                                                                       \
  template Var<T> matmul<T>(Var<T>, Var<T>);                                                      \
  template Var<T> head_dropout_matmul<T>(Var<T>, Var<T>, int, const KeyedDropout<T>&);            \
  template Var<T> head_dropout_matmul<T>(std::shared_ptr<const kernels::SparseMatrix<T>>, Var<T>, \
                                         int, const KeyedDropout<T>&);                            \
  template bool mostly_zero<T>(const Tensor<T>&);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
