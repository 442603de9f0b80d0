#include "heed/kernels/aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "feature_loops.hpp"
#include "heed/error.hpp"
#include "row_ranges.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("aggregate", what, got, want);
}

// Walks rows of `csr`; row r gathers rows `csr.indices` of `in` with weight
// w[edge id] (ids[p] maps a position to the edge id when csr is the out-CSR)
// and adds them into row r of `out`.
template <class T, int kWidth>
void gather_rows(const Csr& csr, const EdgeId* ids, const T* w, const T* in, int runtime_width,
                 T* out) {
  const int width = kWidth > 0 ? kWidth : runtime_width;
  const NodeId* indices = csr.indices.data();
  for_row_ranges(csr.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    const EdgeId edge_end = csr.indptr[std::size_t(row_end)];
    for (std::int64_t r = row_begin; r < row_end; ++r) {
      T* o = out + r * width;
      for (EdgeId p = csr.indptr[std::size_t(r)]; p < csr.indptr[std::size_t(r) + 1]; ++p) {
        if (p + kPrefetchDistance < edge_end) {
          prefetch_bytes(in + std::int64_t(indices[p + kPrefetchDistance]) * width,
                         std::size_t(width) * sizeof(T));
          if (ids) __builtin_prefetch(w + ids[p + kPrefetchDistance]);
        }
        const T weight = w[ids ? ids[p] : p];
        axpy<kWidth>(weight, in + std::int64_t(indices[p]) * width, o, width);
      }
    }
  });
}

template <class T>
void check_shapes(const Graph& graph, std::span<const T> edge_weight, std::size_t in_size,
                  std::size_t out_size, int width) {
  if (width < 1) throw Error("aggregate kernel: width must be >= 1, got " + std::to_string(width));
  const std::size_t nw = std::size_t(graph.num_nodes()) * std::size_t(width);
  check_sizes("edge_weight", edge_weight.size(), std::size_t(graph.num_edges()));
  check_sizes("input", in_size, nw);
  check_sizes("output", out_size, nw);
}

}  // namespace

template <class T>
void weighted_aggregate(const Graph& graph, std::span<const T> edge_weight, std::span<const T> z,
                        int width, std::span<T> out) {
  check_shapes(graph, edge_weight, z.size(), out.size(), width);
  std::fill(out.begin(), out.end(), T(0));
  dispatch_width(width, [&]<int kWidth>() {
    gather_rows<T, kWidth>(graph.in(), nullptr, edge_weight.data(), z.data(), width, out.data());
  });
}

template <class T>
void weighted_aggregate_transpose(const Graph& graph, std::span<const T> edge_weight,
                                  std::span<const T> grad_out, int width, std::span<T> grad_z) {
  check_shapes(graph, edge_weight, grad_out.size(), grad_z.size(), width);
  dispatch_width(width, [&]<int kWidth>() {
    gather_rows<T, kWidth>(graph.out(), graph.out_edge_ids().data(), edge_weight.data(),
                           grad_out.data(), width, grad_z.data());
  });
}

template <class T>
std::vector<T> gcn_edge_weights(const Graph& graph) {
  const Csr& in = graph.in();
  std::vector<T> inv_sqrt(std::size_t(graph.num_nodes()));
  for (std::int64_t i = 0; i < graph.num_nodes(); ++i) {
    const EdgeId deg = in.indptr[std::size_t(i) + 1] - in.indptr[std::size_t(i)];
    inv_sqrt[std::size_t(i)] = deg > 0 ? T(1) / std::sqrt(T(deg)) : T(0);
  }
  std::vector<T> w(std::size_t(graph.num_edges()));
#pragma omp parallel for schedule(guided)
  for (std::int64_t i = 0; i < graph.num_nodes(); ++i) {
    for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
      w[std::size_t(e)] =
          inv_sqrt[std::size_t(i)] * inv_sqrt[std::size_t(in.indices[std::size_t(e)])];
    }
  }
  return w;
}

template <class T>
std::vector<T> mean_edge_weights(const Graph& graph) {
  const Csr& in = graph.in();
  std::vector<T> w(std::size_t(graph.num_edges()));
#pragma omp parallel for schedule(guided)
  for (std::int64_t i = 0; i < graph.num_nodes(); ++i) {
    const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
    for (EdgeId e = begin; e < end; ++e) w[std::size_t(e)] = T(1) / T(end - begin);
  }
  return w;
}

#define HEED_INSTANTIATE(T)                                                                      \
  template void weighted_aggregate<T>(const Graph&, std::span<const T>, std::span<const T>, int, \
                                      std::span<T>);                                             \
  template void weighted_aggregate_transpose<T>(const Graph&, std::span<const T>,                \
                                                std::span<const T>, int, std::span<T>);          \
  template std::vector<T> gcn_edge_weights<T>(const Graph&);                                     \
  template std::vector<T> mean_edge_weights<T>(const Graph&);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
