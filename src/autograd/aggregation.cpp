#include "heed/autograd/ops/aggregation.hpp"

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
Var<T> weighted_aggregate(Var<T> z, const Graph& graph,
                          std::shared_ptr<const std::vector<T>> edge_weight) {
  Tape<T>& tape = z.tape();
  const Tensor<T>& zv = z.value();
  if (std::int64_t(zv.rows()) != graph.num_nodes()) {
    throw Error("weighted_aggregate: input has " + std::to_string(zv.rows()) + " rows, the graph " +
                std::to_string(graph.num_nodes()) + " nodes");
  }
  if (!edge_weight || std::int64_t(edge_weight->size()) != graph.num_edges()) {
    throw Error("weighted_aggregate: need one weight per edge (" +
                std::to_string(graph.num_edges()) + ")");
  }
  const int width = int(zv.cols());
  Tensor<T> out(zv.rows(), zv.cols());
  kernels::weighted_aggregate<T>(graph, *edge_weight, zv.values(), width, out.values());
  const std::size_t iz = z.id();
  return tape.record(std::move(out), z.requires_grad(),
                     [&tape, &graph, iz, width, edge_weight](const Tensor<T>& g) {
                       kernels::weighted_aggregate_transpose<T>(graph, *edge_weight, g.values(),
                                                                width, tape.grad(iz).values());
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

#define HEED_INSTANTIATE(T)                                                     \
  template Var<T> row_means<T>(Var<T>, std::shared_ptr<const RowMeans>);        \
  template Var<T> weighted_aggregate<T>(Var<T>, const Graph&,                   \
                                        std::shared_ptr<const std::vector<T>>); \
  template Var<T> head_mean<T>(Var<T>, int);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
