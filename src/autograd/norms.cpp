#include "heed/autograd/ops/norms.hpp"

#include <cmath>
#include <memory>
#include <vector>

#include "heed/error.hpp"
#include "op_checks.hpp"

namespace heed::ops {

template <class T>
Var<T> layer_norm(Var<T> x, Var<T> gamma, Var<T> beta, T eps) {
  require_same_tape(x, gamma, "layer_norm");
  require_same_tape(x, beta, "layer_norm");
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  const std::size_t cols = xv.cols();
  require_shape(gamma.value(), 1, cols, "layer_norm", "gamma");
  require_shape(beta.value(), 1, cols, "layer_norm", "beta");
  if (cols == 0) throw Error("layer_norm: the input has no columns");
  const std::int64_t rows = std::int64_t(xv.rows());
  // x_hat and 1 / sigma per row are what the backward pass needs.
  auto x_hat = std::make_shared<Tensor<T>>(xv.rows(), cols);
  auto inv_sigma = std::make_shared<std::vector<T>>(xv.rows());
  Tensor<T> out(xv.rows(), cols);
  const T* g = gamma.value().data();
  const T* b = beta.value().data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    auto in = xv.row(std::size_t(r));
    T mean = 0;
    for (std::size_t c = 0; c < cols; ++c) mean += in[c];
    mean /= T(cols);
    T var = 0;
    for (std::size_t c = 0; c < cols; ++c) var += (in[c] - mean) * (in[c] - mean);
    var /= T(cols);
    const T inv = T(1) / std::sqrt(var + eps);
    (*inv_sigma)[std::size_t(r)] = inv;
    auto xh = x_hat->row(std::size_t(r));
    auto o = out.row(std::size_t(r));
    for (std::size_t c = 0; c < cols; ++c) {
      xh[c] = (in[c] - mean) * inv;
      o[c] = g[c] * xh[c] + b[c];
    }
  }
  const std::size_t ix = x.id(), ig = gamma.id(), ib = beta.id();
  const bool any = x.requires_grad() || gamma.requires_grad() || beta.requires_grad();
  return tape.record(std::move(out), any,
                     [&tape, ix, ig, ib, rows, cols, x_hat, inv_sigma](const Tensor<T>& gy) {
                       const T* g = tape.value(ig).data();
                       if (tape.requires_grad(ix)) {
                         // dx = (d - mean(d) - x_hat mean(d .* x_hat)) / sigma, with d = gy .*
                         // gamma.
                         Tensor<T>& gx = tape.grad(ix);
#pragma omp parallel for schedule(static)
                         for (std::int64_t r = 0; r < rows; ++r) {
                           auto gyr = gy.row(std::size_t(r));
                           auto xh = x_hat->row(std::size_t(r));
                           T mean_d = 0, mean_dx = 0;
                           for (std::size_t c = 0; c < cols; ++c) {
                             const T d = gyr[c] * g[c];
                             mean_d += d;
                             mean_dx += d * xh[c];
                           }
                           mean_d /= T(cols);
                           mean_dx /= T(cols);
                           const T inv = (*inv_sigma)[std::size_t(r)];
                           auto gxr = gx.row(std::size_t(r));
                           for (std::size_t c = 0; c < cols; ++c) {
                             gxr[c] += (gyr[c] * g[c] - mean_d - xh[c] * mean_dx) * inv;
                           }
                         }
                       }
                       // Column sums in row order: the same on any thread count.
                       if (tape.requires_grad(ig)) {
                         T* gg = tape.grad(ig).data();
                         for (std::int64_t r = 0; r < rows; ++r) {
                           auto gyr = gy.row(std::size_t(r));
                           auto xh = x_hat->row(std::size_t(r));
                           for (std::size_t c = 0; c < cols; ++c) gg[c] += gyr[c] * xh[c];
                         }
                       }
                       if (tape.requires_grad(ib)) {
                         T* gb = tape.grad(ib).data();
                         for (std::int64_t r = 0; r < rows; ++r) {
                           auto gyr = gy.row(std::size_t(r));
                           for (std::size_t c = 0; c < cols; ++c) gb[c] += gyr[c];
                         }
                       }
                     });
}

#define HEED_INSTANTIATE(T) template Var<T> layer_norm<T>(Var<T>, Var<T>, Var<T>, T);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
