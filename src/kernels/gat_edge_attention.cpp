#include "heed/kernels/gat_edge_attention.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "feature_loops.hpp"
#include "heed/kernels/exp.hpp"
#include "row_ranges.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("gat_edge_attention", what, got, want);
}

template <class T>
T raw_score(const T* s_src, const T* s_dst, const T* s_edge, std::int64_t i, std::int64_t j,
            EdgeId e, int h, int H) {
  return s_dst[i * H + h] + s_src[j * H + h] + s_edge[e * H + h];
}

}  // namespace

template <class T>
void gat_edge_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                                std::span<const T> s_src, std::span<const T> s_dst,
                                std::span<const T> s_edge, T negative_slope,
                                const KeyedDropout<T>& dropout, std::span<T> alpha,
                                std::span<T> out) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t eh = std::size_t(graph.num_edges() * H);
  check_sizes("z", z.size(), std::size_t(n * W));
  check_sizes("s_src", s_src.size(), std::size_t(n * H));
  check_sizes("s_dst", s_dst.size(), std::size_t(n * H));
  check_sizes("s_edge", s_edge.size(), eh);
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), std::size_t(n * W));
  const Csr& in = graph.in();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    const std::size_t heads = static_cast<std::size_t>(H);
    std::vector<T> m(heads), sum(heads), drop(heads, T(1));
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
      T* oi = out.data() + i * W;
      std::fill(oi, oi + W, T(0));
      if (begin == end) continue;
      std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
      for (EdgeId e = begin; e < end; ++e) {
        const std::int64_t j = in.indices[std::size_t(e)];
        for (int h = 0; h < H; ++h) {
          T x = raw_score(s_src.data(), s_dst.data(), s_edge.data(), i, j, e, h, H);
          x = x > T(0) ? x : x * negative_slope;
          alpha[std::size_t(e * H + h)] = x;
          m[std::size_t(h)] = std::max(m[std::size_t(h)], x);
        }
      }
      std::fill(sum.begin(), sum.end(), T(0));
      for (EdgeId e = begin; e < end; ++e) {
        T* ae = alpha.data() + e * H;
        for (int h = 0; h < H; ++h) {
          ae[h] = std::exp(ae[h] - m[std::size_t(h)]);
          sum[std::size_t(h)] += ae[h];
        }
      }
      for (EdgeId e = begin; e < end; ++e) {
        T* ae = alpha.data() + e * H;
        if (dropout.active()) dropout.scales(std::uint64_t(e * H), H, drop.data());
        const T* zj = z.data() + std::int64_t(in.indices[std::size_t(e)]) * W;
        for (int h = 0; h < H; ++h) {
          ae[h] /= sum[std::size_t(h)];
          axpy<0>(ae[h] * drop[std::size_t(h)], zj + h * F, oi + h * F, F);
        }
      }
    }
  });
}

// With g = grad_out and c_i = <g_i, out_i> per head:
//   d alpha_e = drop_e <g_i, z_j>,  d raw_e = alpha_e (d alpha_e - c_i) LeakyReLU'(raw_e)
//   grad_s_dst_i += sum_e d raw_e,  grad_s_src_j += sum_e d raw_e,  grad_s_edge_e += d raw_e
//   grad_z_j += sum_e alpha_e drop_e g_i
template <class T>
void gat_edge_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                                 std::span<const T> s_src, std::span<const T> s_dst,
                                 std::span<const T> s_edge, T negative_slope,
                                 const KeyedDropout<T>& dropout, std::span<const T> alpha,
                                 std::span<const T> out, std::span<const T> grad_out,
                                 std::span<T> grad_z, std::span<T> grad_s_src,
                                 std::span<T> grad_s_dst, std::span<T> grad_s_edge) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t nw = std::size_t(n * W), nh = std::size_t(n * H),
                    eh = std::size_t(graph.num_edges() * H);
  check_sizes("z", z.size(), nw);
  check_sizes("s_src", s_src.size(), nh);
  check_sizes("s_dst", s_dst.size(), nh);
  check_sizes("s_edge", s_edge.size(), eh);
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), nw);
  check_sizes("grad_out", grad_out.size(), nw);
  if (!grad_z.empty()) check_sizes("grad_z", grad_z.size(), nw);
  if (!grad_s_src.empty()) check_sizes("grad_s_src", grad_s_src.size(), nh);
  if (!grad_s_dst.empty()) check_sizes("grad_s_dst", grad_s_dst.size(), nh);
  if (!grad_s_edge.empty()) check_sizes("grad_s_edge", grad_s_edge.size(), eh);

  // Score gradients by destination, where c_i is at hand.
  std::vector<T> d_raw(eh);
  const Csr& in = graph.in();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    const std::size_t heads = static_cast<std::size_t>(H);
    std::vector<T> c(heads), drop(heads, T(1));
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const T* gi = grad_out.data() + i * W;
      for (int h = 0; h < H; ++h) {
        c[std::size_t(h)] = dot<0>(gi + h * F, out.data() + i * W + h * F, F);
      }
      for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
        const std::int64_t j = in.indices[std::size_t(e)];
        if (dropout.active()) dropout.scales(std::uint64_t(e * H), H, drop.data());
        for (int h = 0; h < H; ++h) {
          const T da = drop[std::size_t(h)] * dot<0>(gi + h * F, z.data() + j * W + h * F, F);
          const T d = alpha[std::size_t(e * H + h)] * (da - c[std::size_t(h)]);
          const T raw = raw_score(s_src.data(), s_dst.data(), s_edge.data(), i, j, e, h, H);
          const T dr = raw > T(0) ? d : d * negative_slope;
          d_raw[std::size_t(e * H + h)] = dr;
          if (!grad_s_dst.empty()) grad_s_dst[std::size_t(i * H + h)] += dr;
          if (!grad_s_edge.empty()) grad_s_edge[std::size_t(e * H + h)] += dr;
        }
      }
    }
  });
  if (grad_z.empty() && grad_s_src.empty()) return;
  // Then by source over the out-CSR: each thread owns its rows.
  const Csr& by_src = graph.out();
  const EdgeId* out_ids = graph.out_edge_ids().data();
  for_row_ranges(by_src.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    std::vector<T> drop(std::size_t(H), T(1));
    for (std::int64_t j = row_begin; j < row_end; ++j) {
      for (EdgeId p = by_src.indptr[std::size_t(j)]; p < by_src.indptr[std::size_t(j) + 1]; ++p) {
        const std::int64_t i = by_src.indices[std::size_t(p)];
        const EdgeId e = out_ids[p];
        if (!grad_s_src.empty()) {
          for (int h = 0; h < H; ++h) {
            grad_s_src[std::size_t(j * H + h)] += d_raw[std::size_t(e * H + h)];
          }
        }
        if (grad_z.empty()) continue;
        if (dropout.active()) dropout.scales(std::uint64_t(e * H), H, drop.data());
        for (int h = 0; h < H; ++h) {
          axpy<0>(alpha[std::size_t(e * H + h)] * drop[std::size_t(h)],
                  grad_out.data() + i * W + h * F, grad_z.data() + j * W + h * F, F);
        }
      }
    }
  });
}

#define HEED_INSTANTIATE(T)                                                                  \
  template void gat_edge_attention_forward<T>(                                               \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>,   \
      std::span<const T>, T, const KeyedDropout<T>&, std::span<T>, std::span<T>);            \
  template void gat_edge_attention_backward<T>(                                              \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>,   \
      std::span<const T>, T, const KeyedDropout<T>&, std::span<const T>, std::span<const T>, \
      std::span<const T>, std::span<T>, std::span<T>, std::span<T>, std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
