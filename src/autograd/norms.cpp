#include "heed/autograd/ops/norms.hpp"

#include <algorithm>
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

template <class T>
Var<T> batch_norm(Var<T> x, Var<T> gamma, Var<T> beta, const BatchStatistics<T>& running,
                  bool training, T momentum, T eps) {
  require_same_tape(x, gamma, "batch_norm");
  require_same_tape(x, beta, "batch_norm");
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  const std::size_t cols = xv.cols(), rows = xv.rows();
  require_shape(gamma.value(), 1, cols, "batch_norm", "gamma");
  require_shape(beta.value(), 1, cols, "batch_norm", "beta");
  if (running.mean == nullptr || running.variance == nullptr) {
    throw Error("batch_norm: no running statistics");
  }
  require_shape(*running.mean, 1, cols, "batch_norm", "running mean");
  require_shape(*running.variance, 1, cols, "batch_norm", "running variance");
  if (training && rows == 0) throw Error("batch_norm: a batch without rows has no statistics");
  // Column statistics, rows in order: the same sums on any thread count.
  std::vector<T> mean(cols, T(0)), var(cols, T(0));
  if (training) {
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) mean[c] += xv(r, c);
    }
    for (T& m : mean) m /= T(rows);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) var[c] += (xv(r, c) - mean[c]) * (xv(r, c) - mean[c]);
    }
    T* rm = running.mean->data();
    T* rv = running.variance->data();
    for (std::size_t c = 0; c < cols; ++c) {
      const T unbiased = rows > 1 ? var[c] / T(rows - 1) : var[c];
      var[c] /= T(rows);
      rm[c] = (T(1) - momentum) * rm[c] + momentum * mean[c];
      rv[c] = (T(1) - momentum) * rv[c] + momentum * unbiased;
    }
  } else {
    std::copy_n(running.mean->data(), cols, mean.begin());
    std::copy_n(running.variance->data(), cols, var.begin());
  }
  auto inv_sigma = std::make_shared<std::vector<T>>(cols);
  for (std::size_t c = 0; c < cols; ++c) (*inv_sigma)[c] = T(1) / std::sqrt(var[c] + eps);
  auto x_hat = std::make_shared<Tensor<T>>(rows, cols);
  Tensor<T> out(rows, cols);
  const T* g = gamma.value().data();
  const T* b = beta.value().data();
  const std::int64_t n = std::int64_t(rows);
  // Rows in parallel: each thread writes only its own rows of x_hat and out.
#pragma omp parallel for schedule(static) if (n * std::int64_t(cols) > 1 << 15)
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const T h = (xv(std::size_t(r), c) - mean[c]) * (*inv_sigma)[c];
      (*x_hat)(std::size_t(r), c) = h;
      out(std::size_t(r), c) = g[c] * h + b[c];
    }
  }
  const std::size_t ix = x.id(), ig = gamma.id(), ib = beta.id();
  const bool any = x.requires_grad() || gamma.requires_grad() || beta.requires_grad();
  return tape.record(
      std::move(out), any,
      [&tape, ix, ig, ib, rows, cols, x_hat, inv_sigma, training](const Tensor<T>& gy) {
        const T* g = tape.value(ig).data();
        // Column sums of gy and gy .* x_hat, rows in order.
        std::vector<T> sum_d(cols, T(0)), sum_dx(cols, T(0));
        for (std::size_t r = 0; r < rows; ++r) {
          for (std::size_t c = 0; c < cols; ++c) {
            sum_d[c] += gy(r, c);
            sum_dx[c] += gy(r, c) * (*x_hat)(r, c);
          }
        }
        if (tape.requires_grad(ix)) {
          // Training: dx = gamma / sigma (gy - mean(gy) - x_hat mean(gy .* x_hat)),
          // the statistics being functions of x; evaluation: dx = gamma / sigma gy.
          Tensor<T>& gx = tape.grad(ix);
          const T scale = training ? T(1) / T(rows) : T(0);
          const std::int64_t n = std::int64_t(rows);
#pragma omp parallel for schedule(static) if (n * std::int64_t(cols) > 1 << 15)
          for (std::int64_t r = 0; r < n; ++r) {
            for (std::size_t c = 0; c < cols; ++c) {
              const std::size_t i = std::size_t(r);
              gx(i, c) += g[c] * (*inv_sigma)[c] *
                          (gy(i, c) - scale * sum_d[c] - (*x_hat)(i, c) * scale * sum_dx[c]);
            }
          }
        }
        if (tape.requires_grad(ig)) {
          T* gg = tape.grad(ig).data();
          for (std::size_t c = 0; c < cols; ++c) gg[c] += sum_dx[c];
        }
        if (tape.requires_grad(ib)) {
          T* gb = tape.grad(ib).data();
          for (std::size_t c = 0; c < cols; ++c) gb[c] += sum_d[c];
        }
      });
}

#define HEED_INSTANTIATE(T)                                 \
  template Var<T> layer_norm<T>(Var<T>, Var<T>, Var<T>, T); \
  template Var<T> batch_norm<T>(Var<T>, Var<T>, Var<T>, const BatchStatistics<T>&, bool, T, T);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
