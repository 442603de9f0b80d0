#include "heed/autograd/ops/dense_attention.hpp"

#include <cmath>
#include <memory>

#include "heed/error.hpp"
#include "heed/kernels/row_softmax.hpp"
#include "heed/tensor/blas.hpp"
#include "op_checks.hpp"

namespace heed::ops {

namespace {

// Head h's columns [h * d, (h + 1) * d) of an N x (H * d) matrix, in place.
template <class T>
MatrixView<const T> head_view(const Tensor<T>& x, int h, std::size_t d) {
  return {x.data() + std::size_t(h) * d, x.rows(), d, x.cols()};
}
template <class T>
MatrixView<T> head_view(Tensor<T>& x, int h, std::size_t d) {
  return {x.data() + std::size_t(h) * d, x.rows(), d, x.cols()};
}
// Head h's N x N block of the stacked (H * N) x N attention matrices.
template <class T>
MatrixView<T> head_block(Tensor<T>& a, int h, std::size_t n) {
  return {a.data() + std::size_t(h) * n * n, n, n, n};
}
template <class T>
MatrixView<const T> as_const(MatrixView<T> v) {
  return {v.data, v.rows, v.cols, v.stride};
}

}  // namespace

template <class T>
Var<T> dense_attention(Var<T> q, Var<T> k, Var<T> v, int heads,
                       std::shared_ptr<const std::vector<std::uint8_t>> mask,
                       Tensor<T>* attention_out, std::shared_ptr<TensorPool<T>> pool) {
  require_same_tape(q, k, "dense_attention");
  require_same_tape(q, v, "dense_attention");
  Tape<T>& tape = q.tape();
  const std::size_t n = q.value().rows(), w = q.value().cols();
  if (heads < 1 || w % std::size_t(heads) != 0) {
    throw Error("dense_attention: " + std::to_string(w) + " columns do not split into " +
                std::to_string(heads) + " heads");
  }
  require_shape(k.value(), n, w, "dense_attention", "k");
  require_shape(v.value(), n, w, "dense_attention", "v");
  if (mask && mask->size() != n * n) {
    throw Error("dense_attention: the mask has " + std::to_string(mask->size()) + " entries, not " +
                std::to_string(n) + " x " + std::to_string(n));
  }
  const std::size_t d = w / std::size_t(heads);
  const T scale = T(1) / std::sqrt(T(d));
  // The attention matrices of all heads, kept for backward. At N = 2708 and
  // 4 heads they are 117 MB a layer: a pool saves faulting them in anew at
  // every step, which cost more than the products themselves.
  std::shared_ptr<Tensor<T>> attention =
      pool ? pool->acquire(std::size_t(heads) * n, n)
           : std::make_shared<Tensor<T>>(std::size_t(heads) * n, n);
  Tensor<T> out(n, w);
  for (int h = 0; h < heads; ++h) {
    const MatrixView<T> s = head_block(*attention, h, n);
    // S = Q_h K_h^T / sqrt(d), straight into the kept block.
    gemm(Transpose::kNo, Transpose::kYes, scale, head_view(q.value(), h, d),
         head_view(k.value(), h, d), T(0), s);
    // Row softmax over the allowed keys; a row with none stays zero.
    kernels::masked_row_softmax<T>(
        std::span<T>(s.data, n * n), std::int64_t(n), std::int64_t(n),
        mask ? std::span<const std::uint8_t>(*mask) : std::span<const std::uint8_t>());
    gemm(Transpose::kNo, Transpose::kNo, T(1), as_const(s), head_view(v.value(), h, d), T(0),
         head_view(out, h, d));
  }
  if (attention_out != nullptr) *attention_out = *attention;
  const bool needs = q.requires_grad() || k.requires_grad() || v.requires_grad();
  const std::size_t iq = q.id(), ik = k.id(), iv = v.id();
  return tape.record(
      std::move(out), needs,
      [&tape, iq, ik, iv, heads, n, d, scale, attention, pool](const Tensor<T>& g) {
        const bool wants_scores = tape.requires_grad(iq) || tape.requires_grad(ik);
        std::shared_ptr<Tensor<T>> scratch;
        if (wants_scores) scratch = pool ? pool->acquire(n, n) : std::make_shared<Tensor<T>>(n, n);
        for (int h = 0; h < heads; ++h) {
          const MatrixView<const T> a = as_const(head_block(*attention, h, n));
          const MatrixView<const T> gh = head_view(g, h, d);
          if (tape.requires_grad(iv)) {  // dV += A^T G
            gemm(Transpose::kYes, Transpose::kNo, T(1), a, gh, T(1),
                 head_view(tape.grad(iv), h, d));
          }
          if (!wants_scores) continue;
          // dS = A .* (G V^T - rowsum(A .* G V^T)) / sqrt(d)
          const MatrixView<T> ds{scratch->data(), n, n, n};
          gemm(Transpose::kNo, Transpose::kYes, T(1), gh, head_view(tape.value(iv), h, d), T(0),
               ds);
          kernels::row_softmax_backward<T>(std::span<const T>(a.data, n * n),
                                           std::span<T>(ds.data, n * n), std::int64_t(n),
                                           std::int64_t(n), scale);
          if (tape.requires_grad(iq)) {  // dQ += dS K
            gemm(Transpose::kNo, Transpose::kNo, T(1), as_const(ds),
                 head_view(tape.value(ik), h, d), T(1), head_view(tape.grad(iq), h, d));
          }
          if (tape.requires_grad(ik)) {  // dK += dS^T Q
            gemm(Transpose::kYes, Transpose::kNo, T(1), as_const(ds),
                 head_view(tape.value(iq), h, d), T(1), head_view(tape.grad(ik), h, d));
          }
        }
      });
}

#define HEED_INSTANTIATE(T)                                                                        \
  template Var<T> dense_attention<T>(Var<T>, Var<T>, Var<T>, int,                                  \
                                     std::shared_ptr<const std::vector<std::uint8_t>>, Tensor<T>*, \
                                     std::shared_ptr<TensorPool<T>>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
