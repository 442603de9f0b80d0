#include "heed/kernels/dot_product_attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "feature_loops.hpp"
#include "row_ranges.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("dot_product_attention", what, got, want);
}

}  // namespace

template <class T>
void dot_product_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> q,
                                   std::span<const T> k, std::span<const T> v,
                                   const KeyedDropout<T>& dropout, std::span<T> alpha,
                                   std::span<T> out) {
  const int H = shape.heads, d = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t nw = std::size_t(n * W), eh = std::size_t(graph.num_edges() * H);
  check_sizes("q", q.size(), nw);
  check_sizes("k", k.size(), nw);
  check_sizes("v", v.size(), nw);
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), nw);
  const T scale = T(1) / std::sqrt(T(d));
  const Csr& in = graph.in();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    const std::size_t heads = static_cast<std::size_t>(H);
    std::vector<T> m(heads), sum(heads), drop(heads, T(1));
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
      T* oi = out.data() + i * W;
      std::fill(oi, oi + W, T(0));
      if (begin == end) continue;
      const T* qi = q.data() + i * W;
      std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
      for (EdgeId e = begin; e < end; ++e) {
        const T* kj = k.data() + std::int64_t(in.indices[std::size_t(e)]) * W;
        for (int h = 0; h < H; ++h) {
          const T s = dot<0>(qi + h * d, kj + h * d, d) * scale;
          alpha[std::size_t(e * H + h)] = s;
          m[std::size_t(h)] = std::max(m[std::size_t(h)], s);
        }
      }
      std::fill(sum.begin(), sum.end(), T(0));
      for (EdgeId e = begin; e < end; ++e) {
        for (int h = 0; h < H; ++h) {
          T& a = alpha[std::size_t(e * H + h)];
          a = std::exp(a - m[std::size_t(h)]);
          sum[std::size_t(h)] += a;
        }
      }
      for (EdgeId e = begin; e < end; ++e) {
        if (dropout.active()) dropout.scales(std::uint64_t(e * H), H, drop.data());
        const T* vj = v.data() + std::int64_t(in.indices[std::size_t(e)]) * W;
        for (int h = 0; h < H; ++h) {
          T& a = alpha[std::size_t(e * H + h)];
          a /= sum[std::size_t(h)];
          axpy<0>(a * drop[std::size_t(h)], vj + h * d, oi + h * d, d);
        }
      }
    }
  });
}

template <class T>
void dot_product_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> q,
                                    std::span<const T> k, std::span<const T> v,
                                    const KeyedDropout<T>& dropout, std::span<const T> alpha,
                                    std::span<const T> out, std::span<const T> grad_out,
                                    std::span<T> grad_q, std::span<T> grad_k, std::span<T> grad_v) {
  const int H = shape.heads, d = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t nw = std::size_t(n * W), eh = std::size_t(graph.num_edges() * H);
  check_sizes("q", q.size(), nw);
  check_sizes("k", k.size(), nw);
  check_sizes("v", v.size(), nw);
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), nw);
  check_sizes("grad_out", grad_out.size(), nw);
  if (!grad_q.empty()) check_sizes("grad_q", grad_q.size(), nw);
  if (!grad_k.empty()) check_sizes("grad_k", grad_k.size(), nw);
  if (!grad_v.empty()) check_sizes("grad_v", grad_v.size(), nw);
  const T scale = T(1) / std::sqrt(T(d));

  // By destination: the score gradients, and grad_q.
  std::vector<T> ds(eh);
  const Csr& in = graph.in();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    const std::size_t heads = static_cast<std::size_t>(H);
    std::vector<T> c(heads), drop(heads, T(1));
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const T* gi = grad_out.data() + i * W;
      for (int h = 0; h < H; ++h) {
        c[std::size_t(h)] = dot<0>(gi + h * d, out.data() + i * W + h * d, d);
      }
      for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
        const std::int64_t j = in.indices[std::size_t(e)];
        if (dropout.active()) dropout.scales(std::uint64_t(e * H), H, drop.data());
        for (int h = 0; h < H; ++h) {
          const T da = drop[std::size_t(h)] * dot<0>(gi + h * d, v.data() + j * W + h * d, d);
          const T s = alpha[std::size_t(e * H + h)] * (da - c[std::size_t(h)]) * scale;
          ds[std::size_t(e * H + h)] = s;
          if (!grad_q.empty()) {
            axpy<0>(s, k.data() + j * W + h * d, grad_q.data() + i * W + h * d, d);
          }
        }
      }
    }
  });
  if (grad_k.empty() && grad_v.empty()) return;
  // By source: grad_k and grad_v, each thread owning its rows.
  const Csr& by_src = graph.out();
  const EdgeId* out_ids = graph.out_edge_ids().data();
  for_row_ranges(by_src.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    std::vector<T> drop(static_cast<std::size_t>(H), T(1));
    for (std::int64_t j = row_begin; j < row_end; ++j) {
      for (EdgeId p = by_src.indptr[std::size_t(j)]; p < by_src.indptr[std::size_t(j) + 1]; ++p) {
        const std::int64_t i = by_src.indices[std::size_t(p)];
        const EdgeId e = out_ids[p];
        if (dropout.active()) dropout.scales(std::uint64_t(e * H), H, drop.data());
        for (int h = 0; h < H; ++h) {
          if (!grad_k.empty()) {
            axpy<0>(ds[std::size_t(e * H + h)], q.data() + i * W + h * d,
                    grad_k.data() + j * W + h * d, d);
          }
          if (!grad_v.empty()) {
            axpy<0>(alpha[std::size_t(e * H + h)] * drop[std::size_t(h)],
                    grad_out.data() + i * W + h * d, grad_v.data() + j * W + h * d, d);
          }
        }
      }
    }
  });
}

#define HEED_INSTANTIATE(T)                                                                \
  template void dot_product_attention_forward<T>(                                          \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, \
      const KeyedDropout<T>&, std::span<T>, std::span<T>);                                 \
  template void dot_product_attention_backward<T>(                                         \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, \
      const KeyedDropout<T>&, std::span<const T>, std::span<const T>, std::span<const T>,  \
      std::span<T>, std::span<T>, std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
