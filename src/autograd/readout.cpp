#include "heed/autograd/ops/readout.hpp"

#include <memory>
#include <vector>

#include "heed/kernels/segment_readout.hpp"

namespace heed::ops {
namespace {

template <class T>
Var<T> sum_or_mean(Var<T> x, std::span<const std::int64_t> offsets, bool mean, const char* op) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  kernels::check_segments(offsets, std::int64_t(xv.rows()), op);
  const int width = int(xv.cols());
  Tensor<T> out = tape.uninitialized(offsets.size() - 1, xv.cols());
  kernels::segment_sum<T>(offsets, xv.values(), width, mean, out.values());
  const std::size_t ix = x.id();
  return tape.record(
      std::move(out), x.requires_grad(), [&tape, ix, offsets, width, mean](const Tensor<T>& g) {
        kernels::segment_sum_backward<T>(offsets, g.values(), width, mean, tape.grad(ix).values());
      });
}

}  // namespace

template <class T>
Var<T> segment_sum(Var<T> x, std::span<const std::int64_t> offsets) {
  return sum_or_mean(x, offsets, false, "segment_sum");
}

template <class T>
Var<T> segment_mean(Var<T> x, std::span<const std::int64_t> offsets) {
  return sum_or_mean(x, offsets, true, "segment_mean");
}

template <class T>
Var<T> segment_max(Var<T> x, std::span<const std::int64_t> offsets) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  kernels::check_segments(offsets, std::int64_t(xv.rows()), "segment_max");
  const int width = int(xv.cols());
  const std::size_t graphs = offsets.size() - 1;
  Tensor<T> out = tape.uninitialized(graphs, xv.cols());
  // The winners are read by the backward step only; kept with it.
  auto argmax = std::make_shared<std::vector<std::int64_t>>(graphs * xv.cols());
  kernels::segment_max<T>(offsets, xv.values(), width, out.values(), *argmax);
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, offsets, width, argmax](const Tensor<T>& g) {
                       kernels::segment_max_backward<T>(offsets, *argmax, g.values(), width,
                                                        tape.grad(ix).values());
                     });
}

template <class T>
Var<T> segment_softmax(Var<T> scores, std::span<const std::int64_t> offsets) {
  Tape<T>& tape = scores.tape();
  const Tensor<T>& sv = scores.value();
  kernels::check_segments(offsets, std::int64_t(sv.rows()), "segment_softmax");
  const int heads = int(sv.cols());
  Tensor<T> out = tape.uninitialized(sv.rows(), sv.cols());
  kernels::segment_softmax<T>(offsets, sv.values(), heads, out.values());
  const std::size_t is = scores.id();
  const std::size_t iy = tape.size();  // the output, recorded next
  return tape.record(
      std::move(out), scores.requires_grad(), [&tape, is, iy, offsets, heads](const Tensor<T>& g) {
        kernels::segment_softmax_backward<T>(offsets, tape.value(iy).values(), g.values(), heads,
                                             tape.grad(is).values());
      });
}

#define HEED_INSTANTIATE(T)                                               \
  template Var<T> segment_sum<T>(Var<T>, std::span<const std::int64_t>);  \
  template Var<T> segment_mean<T>(Var<T>, std::span<const std::int64_t>); \
  template Var<T> segment_max<T>(Var<T>, std::span<const std::int64_t>);  \
  template Var<T> segment_softmax<T>(Var<T>, std::span<const std::int64_t>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
