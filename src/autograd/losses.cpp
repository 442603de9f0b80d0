#include "heed/autograd/ops/losses.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "heed/error.hpp"
#include "op_checks.hpp"

namespace heed::ops {

template <class T>
Var<T> log_softmax(Var<T> x) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  Tensor<T> out(xv.rows(), xv.cols());
  const std::int64_t rows = std::int64_t(xv.rows());
  const std::size_t cols = xv.cols();
#pragma omp parallel for schedule(guided)
  for (std::int64_t r = 0; r < rows; ++r) {
    auto in = xv.row(std::size_t(r));
    auto o = out.row(std::size_t(r));
    T m = *std::max_element(in.begin(), in.end());
    T sum = 0;
    for (std::size_t c = 0; c < cols; ++c) sum += std::exp(in[c] - m);
    T log_z = m + std::log(sum);
    for (std::size_t c = 0; c < cols; ++c) o[c] = in[c] - log_z;
  }
  const std::size_t ix = x.id(), iy = tape.size();  // the id this record will get
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, iy, rows, cols](const Tensor<T>& g) {
                       // dx = g - softmax * sum(g), softmax = exp(log-softmax).
                       const Tensor<T>& y = tape.value(iy);
                       Tensor<T>& gx = tape.grad(ix);
#pragma omp parallel for schedule(guided)
                       for (std::int64_t r = 0; r < rows; ++r) {
                         auto gr = g.row(std::size_t(r));
                         T sum = 0;
                         for (std::size_t c = 0; c < cols; ++c) sum += gr[c];
                         auto yr = y.row(std::size_t(r));
                         auto gxr = gx.row(std::size_t(r));
                         for (std::size_t c = 0; c < cols; ++c)
                           gxr[c] += gr[c] - std::exp(yr[c]) * sum;
                       }
                     });
}

template <class T>
Var<T> nll_loss(Var<T> log_probs, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows) {
  Tape<T>& tape = log_probs.tape();
  const Tensor<T>& lp = log_probs.value();
  if (labels.size() != lp.rows()) {
    throw Error("nll_loss: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(lp.rows()) + " rows");
  }
  if (rows.empty()) throw Error("nll_loss: no rows to average over");
  std::vector<NodeId> picked(rows.begin(), rows.end());
  for (NodeId r : picked) {
    if (r < 0 || std::size_t(r) >= lp.rows()) {
      throw Error("nll_loss: row " + std::to_string(r) + " outside [0, " +
                  std::to_string(lp.rows()) + ")");
    }
    std::int32_t y = labels[std::size_t(r)];
    if (y < 0 || std::size_t(y) >= lp.cols()) {
      throw Error("nll_loss: row " + std::to_string(r) + " has label " + std::to_string(y) +
                  " outside [0, " + std::to_string(lp.cols()) + ")");
    }
  }
  T sum = 0;
  for (NodeId r : picked) sum -= lp(std::size_t(r), std::size_t(labels[std::size_t(r)]));
  const T inv = T(1) / T(picked.size());
  Tensor<T> out(1, 1, {sum * inv});
  std::vector<std::int32_t> y(labels.begin(), labels.end());
  const std::size_t ix = log_probs.id();
  return tape.record(
      std::move(out), log_probs.requires_grad(),
      [&tape, ix, inv, picked = std::move(picked), y = std::move(y)](const Tensor<T>& g) {
        Tensor<T>& gx = tape.grad(ix);
        for (NodeId r : picked) {
          gx(std::size_t(r), std::size_t(y[std::size_t(r)])) -= g(0, 0) * inv;
        }
      });
}

namespace {

// mean_k -lp[rows[k], classes[k]]: nll_loss with the class of each chosen
// row given beside it.
template <class T>
Var<T> picked_nll(Var<T> log_probs, std::span<const NodeId> rows,
                  std::span<const std::int32_t> classes) {
  Tape<T>& tape = log_probs.tape();
  const Tensor<T>& lp = log_probs.value();
  if (rows.empty()) throw Error("cross_entropy: no rows to average over");
  if (classes.size() != rows.size()) {
    throw Error("cross_entropy: " + std::to_string(classes.size()) + " classes for " +
                std::to_string(rows.size()) + " rows");
  }
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (rows[k] < 0 || std::size_t(rows[k]) >= lp.rows()) {
      throw Error("cross_entropy: row " + std::to_string(rows[k]) + " outside [0, " +
                  std::to_string(lp.rows()) + ")");
    }
    if (classes[k] < 0 || std::size_t(classes[k]) >= lp.cols()) {
      throw Error("cross_entropy: row " + std::to_string(rows[k]) + " has class " +
                  std::to_string(classes[k]) + " outside [0, " + std::to_string(lp.cols()) + ")");
    }
  }
  T sum = 0;
  for (std::size_t k = 0; k < rows.size(); ++k)
    sum -= lp(std::size_t(rows[k]), std::size_t(classes[k]));
  const T inv = T(1) / T(rows.size());
  std::vector<NodeId> r(rows.begin(), rows.end());
  std::vector<std::int32_t> c(classes.begin(), classes.end());
  const std::size_t ix = log_probs.id();
  return tape.record(Tensor<T>(1, 1, {sum * inv}), log_probs.requires_grad(),
                     [&tape, ix, inv, r = std::move(r), c = std::move(c)](const Tensor<T>& g) {
                       Tensor<T>& gx = tape.grad(ix);
                       for (std::size_t k = 0; k < r.size(); ++k) {
                         gx(std::size_t(r[k]), std::size_t(c[k])) -= g(0, 0) * inv;
                       }
                     });
}

// The chosen rows of x against targets of the same width: checks, then
// loss = mean over (k, c) of f(x[rows[k], c], y[k, c]), with dL/dx from
// df(x, y) / count.
template <class T, class F, class D>
Var<T> elementwise_loss(const char* op, Var<T> x, std::span<const NodeId> rows,
                        const Tensor<T>& targets, F f, D df) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  if (rows.empty()) throw Error(std::string(op) + ": no rows to average over");
  if (targets.rows() != rows.size() || targets.cols() != xv.cols()) {
    throw Error(std::string(op) + ": targets are " + targets.shape_string() + ", expected [" +
                std::to_string(rows.size()) + " x " + std::to_string(xv.cols()) + "]");
  }
  for (NodeId r : rows) {
    if (r < 0 || std::size_t(r) >= xv.rows()) {
      throw Error(std::string(op) + ": row " + std::to_string(r) + " outside [0, " +
                  std::to_string(xv.rows()) + ")");
    }
  }
  for (T y : targets.values()) {
    if (!std::isfinite(y)) throw Error(std::string(op) + ": a target is not finite");
  }
  const std::size_t cols = xv.cols();
  T sum = 0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    for (std::size_t c = 0; c < cols; ++c) sum += f(xv(std::size_t(rows[k]), c), targets(k, c));
  }
  const T inv = T(1) / T(rows.size() * cols);
  std::vector<NodeId> r(rows.begin(), rows.end());
  const std::size_t ix = x.id();
  return tape.record(Tensor<T>(1, 1, {sum * inv}), x.requires_grad(),
                     [&tape, ix, inv, cols, targets, df, r = std::move(r)](const Tensor<T>& g) {
                       const Tensor<T>& xv = tape.value(ix);
                       Tensor<T>& gx = tape.grad(ix);
                       const T scale = g(0, 0) * inv;
                       for (std::size_t k = 0; k < r.size(); ++k) {
                         const std::size_t row = std::size_t(r[k]);
                         for (std::size_t c = 0; c < cols; ++c) {
                           gx(row, c) += scale * df(xv(row, c), targets(k, c));
                         }
                       }
                     });
}

}  // namespace

template <class T>
Var<T> cross_entropy(Var<T> logits, std::span<const NodeId> rows,
                     std::span<const std::int32_t> classes) {
  return picked_nll(log_softmax(logits), rows, classes);
}

template <class T>
Var<T> bce_with_logits(Var<T> logits, std::span<const NodeId> rows, const Tensor<T>& targets) {
  return elementwise_loss(
      "bce_with_logits", logits, rows, targets,
      [](T x, T y) { return std::max(x, T(0)) - x * y + std::log1p(std::exp(-std::abs(x))); },
      // d/dx = sigmoid(x) - y, written so that exp never overflows.
      [](T x, T y) {
        const T e = std::exp(-std::abs(x));
        const T sigmoid = x >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
        return sigmoid - y;
      });
}

template <class T>
Var<T> mse_loss(Var<T> x, std::span<const NodeId> rows, const Tensor<T>& targets) {
  return elementwise_loss(
      "mse_loss", x, rows, targets, [](T v, T y) { return (v - y) * (v - y); },
      [](T v, T y) { return T(2) * (v - y); });
}

template <class T>
Var<T> l1_loss(Var<T> x, std::span<const NodeId> rows, const Tensor<T>& targets) {
  return elementwise_loss(
      "l1_loss", x, rows, targets, [](T v, T y) { return std::abs(v - y); },
      [](T v, T y) { return v > y   ? T(1)
                            : v < y ? T(-1)
                                    : T(0); });
}

#define HEED_INSTANTIATE(T)                                                                    \
  template Var<T> log_softmax<T>(Var<T>);                                                      \
  template Var<T> nll_loss<T>(Var<T>, std::span<const std::int32_t>, std::span<const NodeId>); \
  template Var<T> cross_entropy<T>(Var<T>, std::span<const NodeId>,                            \
                                   std::span<const std::int32_t>);                             \
  template Var<T> bce_with_logits<T>(Var<T>, std::span<const NodeId>, const Tensor<T>&);       \
  template Var<T> mse_loss<T>(Var<T>, std::span<const NodeId>, const Tensor<T>&);              \
  template Var<T> l1_loss<T>(Var<T>, std::span<const NodeId>, const Tensor<T>&);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
