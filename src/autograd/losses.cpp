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

#define HEED_INSTANTIATE(T)               \
  template Var<T> log_softmax<T>(Var<T>); \
  template Var<T> nll_loss<T>(Var<T>, std::span<const std::int32_t>, std::span<const NodeId>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
