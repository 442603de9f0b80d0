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

// Row r of `out` (+)= row_scale_r sum_p col_scale[k_p] in[k_p] (+ bias) over
// the entries k_p of row r of `csr`. The row's sum is formed in place in
// out's row (in L1), from zero when overwriting. Either scale may be null
// (ones).
template <class T, int kWidth, bool kAccumulate>
void gather_rows(const Csr& csr, const T* row_scale, const T* col_scale, const T* in, const T* bias,
                 int runtime_width, T* out) {
  const int width = kWidth > 0 ? kWidth : runtime_width;
  const NodeId* indices = csr.indices.data();
  for_row_ranges(csr.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    // A row of partial sums: accumulating straight into out would need
    // out's old values scaled apart from the new ones.
    std::vector<T> sum_buffer(static_cast<std::size_t>(width));
    T* sum = sum_buffer.data();
    const EdgeId edge_end = csr.indptr[std::size_t(row_end)];
    for (std::int64_t r = row_begin; r < row_end; ++r) {
      std::fill(sum, sum + width, T(0));
      for (EdgeId p = csr.indptr[std::size_t(r)]; p < csr.indptr[std::size_t(r) + 1]; ++p) {
        if (p + kPrefetchDistance < edge_end) {
          prefetch_bytes(in + std::int64_t(indices[p + kPrefetchDistance]) * width,
                         std::size_t(width) * sizeof(T));
        }
        const std::int64_t k = indices[p];
        axpy<kWidth>(col_scale ? col_scale[k] : T(1), in + k * width, sum, width);
      }
      T* o = out + r * width;
      const T s = row_scale ? row_scale[r] : T(1);
      if constexpr (kAccumulate) {
        axpy<kWidth>(s, sum, o, width);
      } else if (bias) {
        for (int c = 0; c < width; ++c) o[c] = s * sum[c] + bias[c];
      } else {
        for (int c = 0; c < width; ++c) o[c] = s * sum[c];
      }
    }
  });
}

template <class T>
void check_shapes(const Graph& graph, const AggregateScales<T>& scales, std::size_t in_size,
                  std::size_t out_size, int width) {
  if (width < 1) throw Error("aggregate kernel: width must be >= 1, got " + std::to_string(width));
  const std::size_t n = std::size_t(graph.num_nodes());
  if (!scales.source.empty()) check_sizes("source scales", scales.source.size(), n);
  if (!scales.destination.empty()) {
    check_sizes("destination scales", scales.destination.size(), n);
  }
  check_sizes("input", in_size, n * std::size_t(width));
  check_sizes("output", out_size, n * std::size_t(width));
}

template <class T>
const T* data_or_null(const std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}

std::vector<EdgeId> in_degrees(const Graph& graph) {
  const Csr& in = graph.in();
  std::vector<EdgeId> deg(std::size_t(graph.num_nodes()));
  for (std::size_t i = 0; i < deg.size(); ++i) deg[i] = in.indptr[i + 1] - in.indptr[i];
  return deg;
}

}  // namespace

template <class T>
void scaled_aggregate(const Graph& graph, const AggregateScales<T>& scales, std::span<const T> z,
                      int width, std::span<T> out, std::span<const T> bias) {
  check_shapes(graph, scales, z.size(), out.size(), width);
  if (!bias.empty()) check_sizes("bias", bias.size(), std::size_t(width));
  dispatch_width(width, [&]<int kWidth>() {
    gather_rows<T, kWidth, false>(graph.in(), data_or_null(scales.destination),
                                  data_or_null(scales.source), z.data(),
                                  bias.empty() ? nullptr : bias.data(), width, out.data());
  });
}

template <class T>
void scaled_aggregate_transpose(const Graph& graph, const AggregateScales<T>& scales,
                                std::span<const T> grad_out, int width, std::span<T> grad_z) {
  check_shapes(graph, scales, grad_out.size(), grad_z.size(), width);
  dispatch_width(width, [&]<int kWidth>() {
    gather_rows<T, kWidth, true>(graph.out(), data_or_null(scales.source),
                                 data_or_null(scales.destination), grad_out.data(), nullptr, width,
                                 grad_z.data());
  });
}

template <class T>
AggregateScales<T> gcn_scales(const Graph& graph) {
  AggregateScales<T> s;
  for (EdgeId deg : in_degrees(graph)) {
    s.source.push_back(deg > 0 ? T(1) / std::sqrt(T(deg)) : T(0));
  }
  s.destination = s.source;
  return s;
}

template <class T>
AggregateScales<T> mean_scales(const Graph& graph) {
  AggregateScales<T> s;
  for (EdgeId deg : in_degrees(graph)) s.destination.push_back(deg > 0 ? T(1) / T(deg) : T(0));
  return s;
}

#define HEED_INSTANTIATE(T)                                                                      \
  template void scaled_aggregate<T>(const Graph&, const AggregateScales<T>&, std::span<const T>, \
                                    int, std::span<T>, std::span<const T>);                      \
  template void scaled_aggregate_transpose<T>(const Graph&, const AggregateScales<T>&,           \
                                              std::span<const T>, int, std::span<T>);            \
  template AggregateScales<T> gcn_scales<T>(const Graph&);                                       \
  template AggregateScales<T> mean_scales<T>(const Graph&);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
