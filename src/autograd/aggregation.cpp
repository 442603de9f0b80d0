#include "heed/autograd/ops/aggregation.hpp"

#include "column_sums.hpp"
#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "op_checks.hpp"

namespace heed::ops {

template <class T>
Var<T> row_means(Var<T> x, std::shared_ptr<const RowMeans> plan) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  if (!plan || plan->offsets.empty()) throw Error("row_means: no plan");
  const std::size_t rows = plan->offsets.size() - 1, cols = xv.cols();
  for (std::int64_t r : plan->rows) {
    if (r < 0 || std::size_t(r) >= xv.rows()) {
      throw Error("row_means: row " + std::to_string(r) + " outside the input's " +
                  std::to_string(xv.rows()));
    }
  }
  Tensor<T> out(rows, cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int64_t begin = plan->offsets[r], end = plan->offsets[r + 1];
    if (begin == end) continue;
    const T inv = T(1) / T(end - begin);
    for (std::int64_t k = begin; k < end; ++k) {
      const T* xr = xv.data() + std::size_t(plan->rows[std::size_t(k)]) * cols;
      for (std::size_t c = 0; c < cols; ++c) out(r, c) += xr[c] * inv;
    }
  }
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, plan, rows, cols](const Tensor<T>& g) {
                       Tensor<T>& gx = tape.grad(ix);
                       for (std::size_t r = 0; r < rows; ++r) {
                         const std::int64_t begin = plan->offsets[r], end = plan->offsets[r + 1];
                         if (begin == end) continue;
                         const T inv = T(1) / T(end - begin);
                         for (std::int64_t k = begin; k < end; ++k) {
                           T* gr = gx.data() + std::size_t(plan->rows[std::size_t(k)]) * cols;
                           for (std::size_t c = 0; c < cols; ++c) gr[c] += g(r, c) * inv;
                         }
                       }
                     });
}

template <class T>
Var<T> scaled_aggregate(Var<T> z, const Graph& graph,
                        std::shared_ptr<const kernels::AggregateScales<T>> scales,
                        const Var<T>* bias) {
  Tape<T>& tape = z.tape();
  const Tensor<T>& zv = z.value();
  if (std::int64_t(zv.rows()) != graph.num_nodes()) {
    throw Error("scaled_aggregate: input has " + std::to_string(zv.rows()) + " rows, the graph " +
                std::to_string(graph.num_nodes()) + " nodes");
  }
  if (!scales) scales = std::make_shared<const kernels::AggregateScales<T>>();
  std::span<const T> b;
  if (bias) {
    require_same_tape(z, *bias, "scaled_aggregate");
    require_shape(bias->value(), 1, zv.cols(), "scaled_aggregate", "bias");
    b = bias->value().values();
  }
  const int width = int(zv.cols());
  Tensor<T> out = tape.uninitialized(zv.rows(), zv.cols());
  kernels::scaled_aggregate<T>(graph, *scales, zv.values(), width, out.values(), b);
  const std::size_t iz = z.id();
  const std::size_t ib = bias ? bias->id() : 0;
  const bool bias_grad = bias && bias->requires_grad();
  return tape.record(std::move(out), z.requires_grad() || bias_grad,
                     [&tape, &graph, iz, ib, bias_grad, width, scales](const Tensor<T>& g) {
                       if (bias_grad) add_column_sums(g, tape.grad(ib).data());
                       if (tape.requires_grad(iz)) {
                         kernels::scaled_aggregate_transpose<T>(graph, *scales, g.values(), width,
                                                                tape.grad(iz).values());
                       }
                     });
}

template <class T>
Var<T> head_mean(Var<T> x, int heads) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  if (heads < 1 || xv.cols() % std::size_t(heads) != 0) {
    throw Error("head_mean: " + std::to_string(xv.cols()) + " columns do not split into " +
                std::to_string(heads) + " heads");
  }
  const std::size_t f = xv.cols() / std::size_t(heads);
  Tensor<T> out(xv.rows(), f);
  const T inv = T(1) / T(heads);
  for (std::size_t r = 0; r < xv.rows(); ++r) {
    for (int h = 0; h < heads; ++h) {
      for (std::size_t c = 0; c < f; ++c) out(r, c) += xv(r, std::size_t(h) * f + c) * inv;
    }
  }
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, heads, f, inv](const Tensor<T>& g) {
                       Tensor<T>& gx = tape.grad(ix);
                       for (std::size_t r = 0; r < g.rows(); ++r) {
                         for (int h = 0; h < heads; ++h) {
                           for (std::size_t c = 0; c < f; ++c)
                             gx(r, std::size_t(h) * f + c) += g(r, c) * inv;
                         }
                       }
                     });
}

#define HEED_INSTANTIATE(T)                                                                     \
  template Var<T> row_means<T>(Var<T>, std::shared_ptr<const RowMeans>);                        \
  template Var<T> scaled_aggregate<T>(                                                          \
      Var<T>, const Graph&, std::shared_ptr<const kernels::AggregateScales<T>>, const Var<T>*); \
  template Var<T> head_mean<T>(Var<T>, int);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
