#include "heed/autograd/ops/elementwise.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "column_sums.hpp"
#include "heed/error.hpp"
#include "heed/kernels/exp.hpp"
#include "op_checks.hpp"

namespace heed::ops {

template <class T>
Var<T> add_bias(Var<T> x, Var<T> bias) {
  require_same_tape(x, bias, "add_bias");
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  require_shape(bias.value(), 1, xv.cols(), "add_bias", "bias");
  Tensor<T> out = tape.uninitialized(xv.rows(), xv.cols());
  const T* b = bias.value().data();
  const std::int64_t rows = std::int64_t(xv.rows()), cols = std::int64_t(xv.cols());
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* __restrict xr = xv.data() + r * cols;
    T* __restrict o = out.data() + r * cols;
    for (std::int64_t c = 0; c < cols; ++c) o[c] = xr[c] + b[c];
  }
  const std::size_t ix = x.id(), ib = bias.id();
  return tape.record(std::move(out), x.requires_grad() || bias.requires_grad(),
                     [&tape, ix, ib](Tensor<T>& g) {
                       // The bias's sums first: x's gradient may take g's buffer.
                       if (tape.requires_grad(ib)) add_column_sums(g, tape.grad(ib).data());
                       if (tape.requires_grad(ix)) tape.accumulate_grad(ix, g);
                     });
}

template <class T>
Var<T> add(Var<T> a, Var<T> b) {
  require_same_tape(a, b, "add");
  Tape<T>& tape = a.tape();
  require_shape(b.value(), a.value().rows(), a.value().cols(), "add", "second operand");
  const Tensor<T>& av = a.value();
  Tensor<T> out = tape.uninitialized(av.rows(), av.cols());
  const std::int64_t n = std::int64_t(out.size());
  const T* __restrict x = av.data();
  const T* __restrict y = b.value().data();
  T* __restrict o = out.data();
#pragma omp parallel for simd schedule(static)
  for (std::int64_t k = 0; k < n; ++k) o[k] = x[k] + y[k];
  const std::size_t ia = a.id(), ib = b.id();
  return tape.record(std::move(out), a.requires_grad() || b.requires_grad(),
                     [&tape, ia, ib](Tensor<T>& g) {
                       // b's share first: a's gradient may take g's buffer.
                       if (tape.requires_grad(ib)) tape.accumulate_grad_copy(ib, g);
                       if (tape.requires_grad(ia)) tape.accumulate_grad(ia, g);
                     });
}

template <class T>
Var<T> scale(Var<T> x, Var<T> s) {
  require_same_tape(x, s, "scale");
  Tape<T>& tape = x.tape();
  require_shape(s.value(), 1, 1, "scale", "the scalar");
  const T factor = s.value()(0, 0);
  Tensor<T> out = x.value();
  for (T& v : out.values()) v *= factor;
  const std::size_t ix = x.id(), is = s.id();
  return tape.record(std::move(out), x.requires_grad() || s.requires_grad(),
                     [&tape, ix, is](const Tensor<T>& g) {
                       const T factor = tape.value(is)(0, 0);
                       if (tape.requires_grad(ix)) {
                         T* gx = tape.grad(ix).data();
                         for (std::size_t k = 0; k < g.size(); ++k) gx[k] += factor * g.data()[k];
                       }
                       if (tape.requires_grad(is)) {
                         // d/ds = sum g .* x, in element order (any thread count).
                         const T* xv = tape.value(ix).data();
                         T sum = 0;
                         for (std::size_t k = 0; k < g.size(); ++k) sum += g.data()[k] * xv[k];
                         tape.grad(is)(0, 0) += sum;
                       }
                     });
}

template <class T>
Var<T> scale_rows(Var<T> x, Var<T> weights) {
  require_same_tape(x, weights, "scale_rows");
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  require_shape(weights.value(), xv.rows(), 1, "scale_rows", "weights");
  Tensor<T> out = tape.uninitialized(xv.rows(), xv.cols());
  const std::int64_t rows = std::int64_t(xv.rows()), cols = std::int64_t(xv.cols());
  const T* w = weights.value().data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* __restrict xr = xv.data() + r * cols;
    T* __restrict o = out.data() + r * cols;
    for (std::int64_t c = 0; c < cols; ++c) o[c] = w[r] * xr[c];
  }
  const std::size_t ix = x.id(), iw = weights.id();
  return tape.record(std::move(out), x.requires_grad() || weights.requires_grad(),
                     [&tape, ix, iw, rows, cols](const Tensor<T>& g) {
                       const T* xv = tape.value(ix).data();
                       const T* wv = tape.value(iw).data();
                       // Each thread owns whole rows of both gradients.
                       T* gx = tape.requires_grad(ix) ? tape.grad(ix).data() : nullptr;
                       T* gw = tape.requires_grad(iw) ? tape.grad(iw).data() : nullptr;
#pragma omp parallel for schedule(static)
                       for (std::int64_t r = 0; r < rows; ++r) {
                         const T* gr = g.data() + r * cols;
                         if (gx) {
                           for (std::int64_t c = 0; c < cols; ++c)
                             gx[r * cols + c] += wv[r] * gr[c];
                         }
                         if (gw) {
                           T dot = 0;
                           for (std::int64_t c = 0; c < cols; ++c) dot += gr[c] * xv[r * cols + c];
                           gw[r] += dot;
                         }
                       }
                     });
}

template <class T>
Var<T> relu(Var<T> x) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  Tensor<T> out = tape.uninitialized(xv.rows(), xv.cols());
  const std::int64_t n = std::int64_t(xv.size());
  const T* __restrict in = xv.data();
  T* __restrict o = out.data();
#pragma omp parallel for simd schedule(guided)
  for (std::int64_t k = 0; k < n; ++k) o[k] = in[k] > T(0) ? in[k] : T(0);
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(), [&tape, ix, n](Tensor<T>& g) {
    // The input's gradient, computed in g's own buffer.
    const T* __restrict xv = tape.value(ix).data();
    T* __restrict gv = g.data();
#pragma omp parallel for simd schedule(static)
    for (std::int64_t k = 0; k < n; ++k) gv[k] = xv[k] > T(0) ? gv[k] : T(0);
    tape.accumulate_grad(ix, g);
  });
}

template <class T>
Var<T> elu(Var<T> x, T alpha) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  Tensor<T> out = tape.uninitialized(xv.rows(), xv.cols());
  const std::int64_t n = std::int64_t(xv.size());
  const T* in = xv.data();
  T* o = out.data();
  if constexpr (std::is_same_v<T, float>) {
    // exp(v) - 1 with the vectorised exp, in blocks; near 0, where that
    // difference would lose digits, a Taylor polynomial (error < 1e-7 relative).
#pragma omp parallel for schedule(guided)
    for (std::int64_t b = 0; b < n; b += 64) {
      const int count = int(std::min<std::int64_t>(64, n - b));
      float e[64];
      for (int k = 0; k < count; ++k) e[k] = std::min(in[b + k], 0.0f);
      kernels::exp_in_place(e, count);
      for (int k = 0; k < count; ++k) {
        const float v = in[b + k];
        const float small = v * (1.0f + v * (0.5f + v * (1.0f / 6 + v * (1.0f / 24))));
        const float expm1 = v > -0.0625f ? small : e[k] - 1.0f;
        o[b + k] = v > 0.0f ? v : alpha * expm1;
      }
    }
  } else {
#pragma omp parallel for schedule(guided)
    for (std::int64_t k = 0; k < n; ++k) o[k] = in[k] > T(0) ? in[k] : alpha * std::expm1(in[k]);
  }
  const std::size_t ix = x.id();
  // Backward reads the output, recorded next: for v <= 0, alpha e^v = out + alpha.
  const std::size_t iout = tape.size();
  return tape.record(std::move(out), x.requires_grad(), [&tape, ix, iout, alpha, n](Tensor<T>& g) {
    // The input's gradient, computed in g's own buffer.
    // alpha as a local: read through the closure, it was reloaded after
    // every store and kept the loop scalar (and branching on the sign).
    const T* __restrict xv = tape.value(ix).data();
    const T* __restrict ov = tape.value(iout).data();
    T* __restrict gv = g.data();
    const T a = alpha;
#pragma omp parallel for simd schedule(static)
    for (std::int64_t k = 0; k < n; ++k) {
      gv[k] *= xv[k] > T(0) ? T(1) : ov[k] + a;
    }
    tape.accumulate_grad(ix, g);
  });
}

namespace {

// result (+)= in .* mask, in blocks of consecutive counters: one draw per
// four elements, and blocks long enough to amortise a draw's set-up.
template <class T>
void apply_dropout(const KeyedDropout<T>& drop, const T* in, T* result, std::int64_t n,
                   bool accumulate) {
  constexpr std::int64_t kBlock = 1024;
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < n; b += kBlock) {
    T scale[kBlock];
    const int count = int(std::min<std::int64_t>(kBlock, n - b));
    drop.scales(std::uint64_t(b), count, scale);
    for (int k = 0; k < count; ++k) {
      const T v = in[b + k] * scale[k];
      result[b + k] = accumulate ? result[b + k] + v : v;
    }
  }
}

}  // namespace

template <class T>
Var<T> dropout(Var<T> x, const KeyedDropout<T>& drop) {
  Tape<T>& tape = x.tape();
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("dropout: probability must be in [0, 1), got " + std::to_string(drop.p));
  }
  if (!drop.active()) return x;
  const std::size_t ix = x.id();
  // Sparse input features: the mask is drawn inside the product that reads
  // them, and the dense value only if something else does.
  if (!x.requires_grad() && tape.sparse_form(ix) && !tape.sparse_dropout(ix).active()) {
    return tape.dropped_features(x, drop, [&tape, ix, drop] {
      const Tensor<T>& xv = tape.value(ix);
      Tensor<T> out(xv.rows(), xv.cols());
      apply_dropout(drop, xv.data(), out.data(), std::int64_t(xv.size()), false);
      return out;
    });
  }
  const Tensor<T>& xv = x.value();
  Tensor<T> out = tape.uninitialized(xv.rows(), xv.cols());
  const std::int64_t n = std::int64_t(xv.size());
  apply_dropout(drop, xv.data(), out.data(), n, false);
  return tape.record(std::move(out), x.requires_grad(), [&tape, ix, drop, n](Tensor<T>& g) {
    apply_dropout(drop, g.data(), g.data(), n, false);  // in g's own buffer
    tape.accumulate_grad(ix, g);
  });
}

#define HEED_INSTANTIATE(T)                      \
  template Var<T> add_bias<T>(Var<T>, Var<T>);   \
  template Var<T> add<T>(Var<T>, Var<T>);        \
  template Var<T> scale<T>(Var<T>, Var<T>);      \
  template Var<T> scale_rows<T>(Var<T>, Var<T>); \
  template Var<T> relu<T>(Var<T>);               \
  template Var<T> elu<T>(Var<T>, T);             \
  template Var<T> dropout<T>(Var<T>, const KeyedDropout<T>&);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
