#include "heed/kernels/gatv2_attention.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "feature_loops.hpp"
#include "heed/error.hpp"
#include "heed/kernels/exp.hpp"
#include "row_ranges.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("gatv2", what, got, want);
}

// sum_f a[f] LeakyReLU(d[f] + s[f]), in vector lanes.
template <int kN, class T>
inline T leaky_dot(const T* a, const T* d, const T* s, T slope, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  Lanes<T> lane = {};
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va, vd, vs;
    std::memcpy(&va, a + f, sizeof va);
    std::memcpy(&vd, d + f, sizeof vd);
    std::memcpy(&vs, s + f, sizeof vs);
    const Lanes<T> m = vd + vs;
    lane += va * (m > T(0) ? m : m * slope);
  }
  T total = 0;
  for (int c = 0; c < kLanes; ++c) total += lane[c];
  for (; f < n; ++f) {
    const T m = d[f] + s[f];
    total += a[f] * (m > T(0) ? m : m * slope);
  }
  return total;
}

// Per edge and head, with m = d + s and ds the score gradient:
//   grad_s[f] += ds a[f] LeakyReLU'(m[f]) + w g[f]     (the source's own row)
//   grad_a[f] += ds LeakyReLU(m[f])
template <int kN, class T>
inline void leaky_dot_backward_source(T ds, T w, const T* a, const T* d, const T* s, const T* g,
                                      T slope, T* grad_s, T* grad_a, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va, vd, vs, vg, gs, ga;
    std::memcpy(&va, a + f, sizeof va);
    std::memcpy(&vd, d + f, sizeof vd);
    std::memcpy(&vs, s + f, sizeof vs);
    std::memcpy(&vg, g + f, sizeof vg);
    std::memcpy(&gs, grad_s + f, sizeof gs);
    std::memcpy(&ga, grad_a + f, sizeof ga);
    const Lanes<T> m = vd + vs;
    const auto positive = m > T(0);
    gs += ds * va * (positive ? Lanes<T>{} + T(1) : Lanes<T>{} + slope) + w * vg;
    ga += ds * (positive ? m : m * slope);
    std::memcpy(grad_s + f, &gs, sizeof gs);
    std::memcpy(grad_a + f, &ga, sizeof ga);
  }
  for (; f < n; ++f) {
    const T m = d[f] + s[f];
    grad_s[f] += ds * a[f] * (m > T(0) ? T(1) : slope) + w * g[f];
    grad_a[f] += ds * (m > T(0) ? m : m * slope);
  }
}

// grad_d[f] += ds a[f] LeakyReLU'(d[f] + s[f])
template <int kN, class T>
inline void leaky_dot_backward_destination(T ds, const T* a, const T* d, const T* s, T slope,
                                           T* grad_d, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va, vd, vs, gd;
    std::memcpy(&va, a + f, sizeof va);
    std::memcpy(&vd, d + f, sizeof vd);
    std::memcpy(&vs, s + f, sizeof vs);
    std::memcpy(&gd, grad_d + f, sizeof gd);
    gd += ds * va * ((vd + vs) > T(0) ? Lanes<T>{} + T(1) : Lanes<T>{} + slope);
    std::memcpy(grad_d + f, &gd, sizeof gd);
  }
  for (; f < n; ++f) grad_d[f] += ds * a[f] * (d[f] + s[f] > T(0) ? T(1) : slope);
}

// x_src_j + x_edge_e into `buffer`, the source side of an edge's score when
// there are edge features; returns the buffer.
template <class T>
const T* add_edge_term(const T* xs, const T* xe, int width, T* buffer) {
  for (int k = 0; k < width; ++k) buffer[k] = xs[k] + xe[k];
  return buffer;
}

// Scores, a stable softmax and the weighted sum of x_src rows, row by row.
template <class T, int kChannels>
void forward_rows(const Graph& graph, HeadShape shape, const T* x_src, const T* x_dst, const T* att,
                  const T* x_edge, T slope, const KeyedDropout<T>& dropout, T* alpha, T* out) {
  const int H = shape.heads, F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  const Csr& in = graph.in();
  const NodeId* indices = in.indices.data();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    std::vector<T> buffer(4 * static_cast<std::size_t>(H));
    std::vector<T> with_edge(x_edge ? static_cast<std::size_t>(W) : 0);
    T* m = buffer.data();
    T* sum = m + H;
    T* w = sum + H;
    T* drop = w + H;
    const EdgeId edge_end = in.indptr[std::size_t(row_end)];
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
      T* oi = out + i * W;
      std::fill(oi, oi + W, T(0));
      if (begin == end) continue;
      const T* xd = x_dst + i * W;
      for (int h = 0; h < H; ++h) m[h] = -std::numeric_limits<T>::infinity();
      for (EdgeId e = begin; e < end; ++e) {
        if (e + kPrefetchDistance < edge_end) {
          prefetch_bytes(x_src + std::int64_t(indices[e + kPrefetchDistance]) * W,
                         std::size_t(W) * sizeof(T));
        }
        const T* xs = x_src + std::int64_t(indices[e]) * W;
        if (x_edge) xs = add_edge_term(xs, x_edge + e * W, W, with_edge.data());
        T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) {
          const T x = leaky_dot<kChannels>(att + h * F, xd + h * F, xs + h * F, slope, F);
          ae[h] = x;
          m[h] = m[h] > x ? m[h] : x;
        }
      }
      for (EdgeId e = begin; e < end; ++e) {
        T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) ae[h] -= m[h];
      }
      exp_in_place(alpha + begin * H, (end - begin) * H);
      for (int h = 0; h < H; ++h) sum[h] = T(0);
      // The row's x_src rows were just read: this second walk finds them in cache.
      for (EdgeId e = begin; e < end; ++e) {
        const T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) {
          sum[h] += ae[h];
          w[h] = ae[h];
        }
        if (dropout.active()) {
          dropout.scales(std::uint64_t(e * H), H, drop);
          for (int h = 0; h < H; ++h) w[h] *= drop[h];
        }
        const T* xs = x_src + std::int64_t(indices[e]) * W;
        for (int h = 0; h < H; ++h) axpy<kChannels>(w[h], xs + h * F, oi + h * F, F);
      }
      for (int h = 0; h < H; ++h) sum[h] = T(1) / sum[h];
      for (int h = 0; h < H; ++h) scale<kChannels>(sum[h], oi + h * F, F);
      for (EdgeId e = begin; e < end; ++e) {
        T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) ae[h] *= sum[h];
      }
    }
  });
}

// Rows of the out-CSR per block of the source pass: fixed by the graph, not
// by the thread count, so grad_att sums the same partials in the same order.
constexpr std::int64_t kBlockWork = 1 << 14;

// With g = grad_out and c_i = <g_i, out_i> per head (row_dot):
//   d alpha_e = drop_e <g_i, x_src_j>,  ds_e = alpha_e (d alpha_e - c_i)
// and, with m = x_dst_i + x_src_j per feature,
//   grad_x_src_j += sum_e [ds_e a LeakyReLU'(m) + alpha_e drop_e g_i]
//   grad_att     += sum_e ds_e LeakyReLU(m)
// Source-parallel over fixed blocks of out-CSR rows; ds_e is stored by edge id
// for the destination pass.
template <class T, int kChannels>
void backward_sources(const Graph& graph, HeadShape shape, const T* x_src, const T* x_dst,
                      const T* att, const T* x_edge, T slope, const KeyedDropout<T>& dropout,
                      const T* alpha, const T* row_dot, const T* grad_out, T* grad_x_src,
                      T* grad_att, T* edge_work) {
  const int H = shape.heads, F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  const Csr& by_src = graph.out();
  const EdgeId* out_ids = graph.out_edge_ids().data();
  const std::int64_t rows = by_src.rows();
  const std::int64_t blocks =
      std::max<std::int64_t>(1, (by_src.nnz() + rows + kBlockWork - 1) / kBlockWork);
  const std::vector<std::int64_t> bounds = partition_rows_by_edges(by_src.indptr, int(blocks));
  std::vector<T> partial(grad_att ? std::size_t(blocks * W) : 0, T(0));

#pragma omp parallel
  {
    std::vector<T> buffer(3 * static_cast<std::size_t>(H));
    T* drop = buffer.data();
    T* w = drop + H;
    T* ds = w + H;
    for (int h = 0; h < H; ++h) drop[h] = T(1);
    std::vector<T> unused_grad(static_cast<std::size_t>(W));
    std::vector<T> unused_att(static_cast<std::size_t>(W));
    std::vector<T> with_edge(x_edge ? static_cast<std::size_t>(W) : 0);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t b = 0; b < blocks; ++b) {
      T* ga = grad_att ? partial.data() + b * W : unused_att.data();
      const EdgeId edge_end = by_src.indptr[std::size_t(bounds[std::size_t(b) + 1])];
      for (std::int64_t j = bounds[std::size_t(b)]; j < bounds[std::size_t(b) + 1]; ++j) {
        T* gxs = grad_x_src ? grad_x_src + j * W : unused_grad.data();
        const T* xs = x_src + j * W;
        for (EdgeId p = by_src.indptr[std::size_t(j)]; p < by_src.indptr[std::size_t(j) + 1]; ++p) {
          if (p + kPrefetchDistance < edge_end) {
            const std::int64_t ahead = by_src.indices[std::size_t(p + kPrefetchDistance)];
            const EdgeId ahead_edge = out_ids[p + kPrefetchDistance];
            prefetch_bytes(grad_out + ahead * W, std::size_t(W) * sizeof(T));
            prefetch_bytes(x_dst + ahead * W, std::size_t(W) * sizeof(T));
            prefetch_bytes(alpha + ahead_edge * H, std::size_t(H) * sizeof(T));
            prefetch_bytes(row_dot + ahead * H, std::size_t(H) * sizeof(T));
          }
          const std::int64_t i = by_src.indices[std::size_t(p)];
          const EdgeId e = out_ids[p];
          const T* gi = grad_out + i * W;
          const T* xd = x_dst + i * W;
          const T* ae = alpha + e * H;
          const T* ci = row_dot + i * H;
          if (dropout.active()) dropout.scales(std::uint64_t(e * H), H, drop);
          // Read alpha before writing the score gradients, which may share its buffer.
          for (int h = 0; h < H; ++h) {
            w[h] = ae[h] * drop[h];
            ds[h] = ae[h] * (dot<kChannels>(gi + h * F, xs + h * F, F) * drop[h] - ci[h]);
          }
          T* we = edge_work + e * H;
          for (int h = 0; h < H; ++h) we[h] = ds[h];
          // The score sees x_src_j + x_edge_e; the aggregation only x_src_j.
          const T* xm = x_edge ? add_edge_term(xs, x_edge + e * W, W, with_edge.data()) : xs;
          for (int h = 0; h < H; ++h) {
            leaky_dot_backward_source<kChannels>(ds[h], w[h], att + h * F, xd + h * F, xm + h * F,
                                                 gi + h * F, slope, gxs + h * F, ga + h * F, F);
          }
          if (!grad_x_src) std::fill(unused_grad.begin(), unused_grad.end(), T(0));
        }
      }
    }
  }
  if (grad_att) {
    for (std::int64_t b = 0; b < blocks; ++b) {
      for (int k = 0; k < W; ++k) grad_att[k] += partial[std::size_t(b * W + k)];
    }
  }
}

// grad_x_dst_i += sum_e ds_e a LeakyReLU'(m_e), m_e = x_dst_i + x_src_j (+ x_edge_e),
// and with edge features grad_x_edge_e += ds_e a LeakyReLU'(m_e), the same
// term: destination-parallel.
template <class T, int kChannels>
void backward_destinations(const Graph& graph, HeadShape shape, const T* x_src, const T* x_dst,
                           const T* att, const T* x_edge, T slope, const T* edge_work,
                           T* grad_x_dst, T* grad_x_edge) {
  const int H = shape.heads, F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  const Csr& in = graph.in();
  const NodeId* indices = in.indices.data();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    const EdgeId edge_end = in.indptr[std::size_t(row_end)];
    std::vector<T> with_edge(x_edge ? static_cast<std::size_t>(W) : 0);
    std::vector<T> term(grad_x_edge ? static_cast<std::size_t>(W) : 0);
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const T* xd = x_dst + i * W;
      T* gxd = grad_x_dst ? grad_x_dst + i * W : nullptr;
      for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
        if (e + kPrefetchDistance < edge_end) {
          prefetch_bytes(x_src + std::int64_t(indices[e + kPrefetchDistance]) * W,
                         std::size_t(W) * sizeof(T));
        }
        const T* xs = x_src + std::int64_t(indices[e]) * W;
        if (x_edge) xs = add_edge_term(xs, x_edge + e * W, W, with_edge.data());
        const T* we = edge_work + e * H;
        if (grad_x_edge) {
          std::fill(term.begin(), term.end(), T(0));
          for (int h = 0; h < H; ++h) {
            leaky_dot_backward_destination<kChannels>(we[h], att + h * F, xd + h * F, xs + h * F,
                                                      slope, term.data() + h * F, F);
          }
          T* gxe = grad_x_edge + e * W;
          for (int k = 0; k < W; ++k) gxe[k] += term[std::size_t(k)];
          if (gxd) {
            for (int k = 0; k < W; ++k) gxd[k] += term[std::size_t(k)];
          }
          continue;
        }
        for (int h = 0; h < H; ++h) {
          leaky_dot_backward_destination<kChannels>(we[h], att + h * F, xd + h * F, xs + h * F,
                                                    slope, gxd + h * F, F);
        }
      }
    }
  });
}

}  // namespace

template <class T>
void gatv2_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> x_src,
                             std::span<const T> x_dst, std::span<const T> att, T negative_slope,
                             const KeyedDropout<T>& dropout, std::span<T> alpha, std::span<T> out,
                             std::span<const T> x_edge) {
  const int H = shape.heads, W = shape.width();
  if (!x_edge.empty()) check_sizes("x_edge", x_edge.size(), std::size_t(graph.num_edges() * W));
  const std::int64_t n = graph.num_nodes();
  check_sizes("x_src", x_src.size(), std::size_t(n * W));
  check_sizes("x_dst", x_dst.size(), std::size_t(n * W));
  check_sizes("att", att.size(), std::size_t(W));
  check_sizes("alpha", alpha.size(), std::size_t(graph.num_edges() * H));
  check_sizes("out", out.size(), std::size_t(n * W));
  dispatch_width(shape.channels, [&]<int kChannels>() {
    forward_rows<T, kChannels>(graph, shape, x_src.data(), x_dst.data(), att.data(),
                               x_edge.empty() ? nullptr : x_edge.data(), negative_slope, dropout,
                               alpha.data(), out.data());
  });
}

template <class T>
void gatv2_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> x_src,
                              std::span<const T> x_dst, std::span<const T> att, T negative_slope,
                              const KeyedDropout<T>& dropout, std::span<const T> alpha,
                              std::span<const T> out, std::span<const T> grad_out,
                              std::span<T> grad_x_src, std::span<T> grad_x_dst,
                              std::span<T> grad_att, std::span<T> edge_work,
                              std::span<const T> x_edge, std::span<T> grad_x_edge) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t nw = std::size_t(n * W), eh = std::size_t(graph.num_edges() * H);
  check_sizes("x_src", x_src.size(), nw);
  check_sizes("x_dst", x_dst.size(), nw);
  check_sizes("att", att.size(), std::size_t(W));
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), nw);
  check_sizes("grad_out", grad_out.size(), nw);
  check_sizes("edge_work", edge_work.size(), eh);
  if (!grad_x_src.empty()) check_sizes("grad_x_src", grad_x_src.size(), nw);
  if (!grad_x_dst.empty()) check_sizes("grad_x_dst", grad_x_dst.size(), nw);
  if (!grad_att.empty()) check_sizes("grad_att", grad_att.size(), std::size_t(W));
  if (!x_edge.empty()) check_sizes("x_edge", x_edge.size(), std::size_t(graph.num_edges() * W));
  if (!grad_x_edge.empty()) {
    check_sizes("grad_x_edge", grad_x_edge.size(), std::size_t(graph.num_edges() * W));
  }
  if (grad_x_src.empty() && grad_x_dst.empty() && grad_att.empty() && grad_x_edge.empty()) return;

  std::vector<T> row_dot(std::size_t(n * H));
#pragma omp parallel for schedule(guided)
  for (std::int64_t i = 0; i < n; ++i) {
    for (int h = 0; h < H; ++h) {
      row_dot[std::size_t(i * H + h)] =
          dot<0>(grad_out.data() + i * W + h * F, out.data() + i * W + h * F, F);
    }
  }
  auto data_or_null = [](std::span<T> s) { return s.empty() ? nullptr : s.data(); };
  dispatch_width(F, [&]<int kChannels>() {
    const T* xe = x_edge.empty() ? nullptr : x_edge.data();
    backward_sources<T, kChannels>(graph, shape, x_src.data(), x_dst.data(), att.data(), xe,
                                   negative_slope, dropout, alpha.data(), row_dot.data(),
                                   grad_out.data(), data_or_null(grad_x_src),
                                   data_or_null(grad_att), edge_work.data());
    if (!grad_x_dst.empty() || !grad_x_edge.empty()) {
      backward_destinations<T, kChannels>(graph, shape, x_src.data(), x_dst.data(), att.data(), xe,
                                          negative_slope, edge_work.data(),
                                          data_or_null(grad_x_dst), data_or_null(grad_x_edge));
    }
  });
}

#define HEED_INSTANTIATE(T)                                                                   \
  template void gatv2_attention_forward<T>(                                                   \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, T, \
      const KeyedDropout<T>&, std::span<T>, std::span<T>, std::span<const T>);                \
  template void gatv2_attention_backward<T>(                                                  \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, T, \
      const KeyedDropout<T>&, std::span<const T>, std::span<const T>, std::span<const T>,     \
      std::span<T>, std::span<T>, std::span<T>, std::span<T>, std::span<const T>, std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
