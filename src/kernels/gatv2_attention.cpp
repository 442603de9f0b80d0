#include "heed/kernels/gatv2_attention.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "edge_softmax.hpp"
#include "feature_loops.hpp"
#include "row_dropout.hpp"
#include "row_ranges.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("gatv2", what, got, want);
}

// m = d + s (+ e): the LeakyReLU's argument for one head's features, with
// the edge term when there are edge features.
// (A compile-time choice, so the common case tests nothing in its loops.)
template <bool kEdges, class T>
[[gnu::always_inline]] inline Lanes<T> argument(const T* d, const T* s, const T* e, int f) {
  Lanes<T> vd, vs;
  std::memcpy(&vd, d + f, sizeof vd);
  std::memcpy(&vs, s + f, sizeof vs);
  if constexpr (!kEdges) {
    return vd + vs;
  } else {
    Lanes<T> ve;
    std::memcpy(&ve, e + f, sizeof ve);
    return vd + vs + ve;
  }
}
template <bool kEdges, class T>
inline T argument_at(const T* d, const T* s, const T* e, int f) {
  if constexpr (kEdges) return d[f] + s[f] + e[f];
  return d[f] + s[f];
}

// sum_f a[f] LeakyReLU(m[f]), in vector lanes.
template <int kN, bool kEdges, class T>
inline T leaky_dot(const T* a, const T* d, const T* s, const T* e, T slope, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  Lanes<T> lane = {};
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va;
    std::memcpy(&va, a + f, sizeof va);
    const Lanes<T> m = argument<kEdges>(d, s, e, f);
    lane += va * (m > T(0) ? m : m * slope);
  }
  T total = 0;
  for (int c = 0; c < kLanes; ++c) total += lane[c];
  for (; f < n; ++f) {
    const T m = argument_at<kEdges>(d, s, e, f);
    total += a[f] * (m > T(0) ? m : m * slope);
  }
  return total;
}

// Per edge and head, with ds the score gradient:
//   grad_s[f] += ds a[f] LeakyReLU'(m[f])   (the source's row; may be null)
//   grad_a[f] += ds LeakyReLU(m[f])          (a block's partial; may be null)
template <int kN, bool kEdges, class T>
inline void leaky_dot_backward_source(T ds, const T* a, const T* d, const T* s, const T* e, T slope,
                                      T* grad_s, T* grad_a, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va;
    std::memcpy(&va, a + f, sizeof va);
    const Lanes<T> m = argument<kEdges>(d, s, e, f);
    const auto positive = m > T(0);
    if (grad_s) {
      Lanes<T> gs;
      std::memcpy(&gs, grad_s + f, sizeof gs);
      gs += ds * va * (positive ? Lanes<T>{} + T(1) : Lanes<T>{} + slope);
      std::memcpy(grad_s + f, &gs, sizeof gs);
    }
    if (grad_a) {
      Lanes<T> ga;
      std::memcpy(&ga, grad_a + f, sizeof ga);
      ga += ds * (positive ? m : m * slope);
      std::memcpy(grad_a + f, &ga, sizeof ga);
    }
  }
  for (; f < n; ++f) {
    const T m = argument_at<kEdges>(d, s, e, f);
    if (grad_s) grad_s[f] += ds * a[f] * (m > T(0) ? T(1) : slope);
    if (grad_a) grad_a[f] += ds * (m > T(0) ? m : m * slope);
  }
}

// The same with the value gradient in the same pass over the source's row,
// as GATv2 aggregates the rows it scores:
//   grad_s[f] += ds a[f] LeakyReLU'(m[f]) + w g[f]
template <int kN, bool kEdges, class T>
inline void leaky_dot_backward_source_and_value(T ds, T w, const T* a, const T* d, const T* s,
                                                const T* e, const T* g, T slope, T* grad_s,
                                                T* grad_a, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va, vg, gs;
    std::memcpy(&va, a + f, sizeof va);
    std::memcpy(&vg, g + f, sizeof vg);
    std::memcpy(&gs, grad_s + f, sizeof gs);
    const Lanes<T> m = argument<kEdges>(d, s, e, f);
    const auto positive = m > T(0);
    gs += ds * va * (positive ? Lanes<T>{} + T(1) : Lanes<T>{} + slope) + w * vg;
    std::memcpy(grad_s + f, &gs, sizeof gs);
    if (grad_a) {
      Lanes<T> ga;
      std::memcpy(&ga, grad_a + f, sizeof ga);
      ga += ds * (positive ? m : m * slope);
      std::memcpy(grad_a + f, &ga, sizeof ga);
    }
  }
  for (; f < n; ++f) {
    const T m = argument_at<kEdges>(d, s, e, f);
    grad_s[f] += ds * a[f] * (m > T(0) ? T(1) : slope) + w * g[f];
    if (grad_a) grad_a[f] += ds * (m > T(0) ? m : m * slope);
  }
}

// grad_d[f] += ds a[f] LeakyReLU'(m[f])
template <int kN, bool kEdges, class T>
inline void leaky_dot_backward_destination(T ds, const T* a, const T* d, const T* s, const T* e,
                                           T slope, T* grad_d, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va, gd;
    std::memcpy(&va, a + f, sizeof va);
    std::memcpy(&gd, grad_d + f, sizeof gd);
    const Lanes<T> m = argument<kEdges>(d, s, e, f);
    gd += ds * va * (m > T(0) ? Lanes<T>{} + T(1) : Lanes<T>{} + slope);
    std::memcpy(grad_d + f, &gd, sizeof gd);
  }
  for (; f < n; ++f) {
    grad_d[f] += ds * a[f] * (argument_at<kEdges>(d, s, e, f) > T(0) ? T(1) : slope);
  }
}

// A destination's row of node terms: the softmax's maximum and 1 / sum per
// head, then c_i = <g_i, out_i> (filled by the backward's node pass).
constexpr int kTerms = kGatv2NodeTerms;
enum Term { kMax = 0, kInvSum = 1, kRowDot = 2 };

// The register-blocked shape: kLanes heads of kLanes features, an edge's
// per-head values one vector. m_h = x_dst_h + x_src_h (+ x_edge_h) is formed
// from the rows wherever it is needed (the rows are in L1 by then): keeping
// the eight vectors live across an edge's work spills the row's sums.
template <bool kEdges, class T>
[[gnu::always_inline]] inline Lanes<T> blocked_argument(const T* xd, const T* xs, const T* xe,
                                                        int h) {
  Lanes<T> m =
      edge_softmax::load_heads(xd + h * kLanes) + edge_softmax::load_heads(xs + h * kLanes);
  if constexpr (kEdges) m += edge_softmax::load_heads(xe + h * kLanes);
  return m;
}
// The 8 scores s_h = a_h . LeakyReLU(m_h) as one vector over heads (one
// transpose-and-add instead of eight horizontal sums).
template <bool kEdges, class T>
[[gnu::always_inline]] inline Lanes<T> blocked_scores(const T* att, const T* xd, const T* xs,
                                                      const T* xe, T slope) {
  Lanes<T> products[kLanes];
#pragma GCC unroll 8
  for (int h = 0; h < kLanes; ++h) {
    const Lanes<T> m = blocked_argument<kEdges>(xd, xs, xe, h);
    products[h] = edge_softmax::load_heads(att + h * kLanes) * (m > T(0) ? m : m * slope);
  }
  T s[kLanes];
  lane_sums_8x8<T>(products, s);
  return edge_softmax::load_heads(s);
}
// <g_h, v_h> for the 8 heads as one vector.
template <class T>
[[gnu::always_inline]] inline Lanes<T> blocked_dots(const T* g, const T* v) {
  Lanes<T> products[kLanes];
#pragma GCC unroll 8
  for (int h = 0; h < kLanes; ++h) {
    products[h] =
        edge_softmax::load_heads(g + h * kLanes) * edge_softmax::load_heads(v + h * kLanes);
  }
  T s[kLanes];
  lane_sums_8x8<T>(products, s);
  return edge_softmax::load_heads(s);
}

// Everything the passes read, and the gradients they write (null: not wanted).
template <class T>
struct Gatv2Problem {
  HeadShape shape;
  const T* x_src;
  const T* x_dst;
  const T* att;
  const T* x_edge;  // E x W by edge id, or null
  T slope;
  const KeyedDropout<T>* dropout;
  T* terms;  // N x 3H
  const T* grad_out;
  T* grad_x_src;
  T* grad_x_dst;
  T* grad_x_edge;
  int W() const { return shape.width(); }
};

// One destination row of the forward pass.
//   pass 1: s_e = sum_f a LeakyReLU(x_dst_i + x_src_j (+ x_edge_e)), m = max_e s_e
//   pass 2: p_e = exp(s_e - m), out_i = sum_e drop_e p_e x_src_j / sum_e p_e (+ bias)
// x_src_j, read in pass 1, is still in L1 for pass 2 at common degrees.
template <class T, int kHeads, int kChannels, bool kEdges>
void forward_row(const Gatv2Problem<T>& q, std::int64_t i, EdgeId begin, EdgeId end,
                 EdgeId edge_end, const NodeId* indices, std::vector<T>& scores, const T* row_drop,
                 const T* bias, T* oi, T* alpha) {
  const int H = kHeads > 0 ? kHeads : q.shape.heads;
  const int F = kChannels > 0 ? kChannels : q.shape.channels, W = H * F;
  const T* xd = q.x_dst + i * W;
  T* s = scores.data();
  T* ti = q.terms ? q.terms + i * kTerms * H : nullptr;
  auto edge_row = [&](EdgeId e) { return kEdges ? q.x_edge + e * W : nullptr; };
  if constexpr (kHeads == kLanes && kChannels == kLanes) {
    using V = Lanes<T>;
    V m = V{} - std::numeric_limits<T>::infinity();
    for (EdgeId e = begin; e < end; ++e) {
      if (e + kPrefetchDistance < edge_end) {
        prefetch_bytes(q.x_src + std::int64_t(indices[e + kPrefetchDistance]) * W,
                       std::size_t(W) * sizeof(T));
      }
      const V x = blocked_scores<kEdges, T>(q.att, xd, q.x_src + std::int64_t(indices[e]) * W,
                                            edge_row(e), q.slope);
      edge_softmax::store_heads(s + (e - begin) * H, x);
      m = m > x ? m : x;
    }
    V sum = {}, acc[kLanes] = {};
    for (EdgeId e = begin; e < end; ++e) {
      V p = edge_softmax::load_heads(s + (e - begin) * H) - m;
      edge_softmax::exp_heads<T>(p);
      edge_softmax::store_heads(s + (e - begin) * H, p);
      sum += p;
      if (row_drop) p *= edge_softmax::load_heads(row_drop + (e - begin) * H);
      const T* xs = q.x_src + std::int64_t(indices[e]) * W;
#pragma GCC unroll 8
      for (int h = 0; h < H; ++h) acc[h] += p[h] * edge_softmax::load_heads(xs + h * F);
    }
    const V inv = T(1) / sum;
    for (int h = 0; h < H; ++h) {
      V v = acc[h] * inv[h];
      if (bias) v += edge_softmax::load_heads(bias + h * F);
      edge_softmax::store_heads(oi + h * F, v);
    }
    if (ti) {
      edge_softmax::store_heads(ti + kMax * H, m);
      edge_softmax::store_heads(ti + kInvSum * H, inv);
    }
    if (alpha) {
      for (EdgeId e = begin; e < end; ++e) {
        edge_softmax::store_heads(alpha + e * H,
                                  edge_softmax::load_heads(s + (e - begin) * H) * inv);
      }
    }
    return;
  }
  edge_softmax::HeadBuffer<T, kHeads> max_buffer(H), sum_buffer(H);
  T* m = max_buffer.data();
  T* sum = sum_buffer.data();
  for (int h = 0; h < H; ++h) m[h] = -std::numeric_limits<T>::infinity();
  for (EdgeId e = begin; e < end; ++e) {
    if (e + kPrefetchDistance < edge_end) {
      prefetch_bytes(q.x_src + std::int64_t(indices[e + kPrefetchDistance]) * W,
                     std::size_t(W) * sizeof(T));
    }
    const T* xs = q.x_src + std::int64_t(indices[e]) * W;
    const T* xe = edge_row(e);
    for (int h = 0; h < H; ++h) {
      const T x = leaky_dot<kChannels, kEdges>(q.att + h * F, xd + h * F, xs + h * F,
                                               xe ? xe + h * F : nullptr, q.slope, F);
      s[(e - begin) * H + h] = x;
      m[h] = m[h] > x ? m[h] : x;
    }
  }
  // exp over the row's scores as one flat loop, which vectorises.
  const std::int64_t count = (end - begin) * H;
  for (std::int64_t k = 0; k < count; ++k) s[k] -= m[k % H];
  exp_in_place(s, count);
  std::fill(oi, oi + W, T(0));
  for (int h = 0; h < H; ++h) sum[h] = T(0);
  for (EdgeId e = begin; e < end; ++e) {
    const T* xs = q.x_src + std::int64_t(indices[e]) * W;
    const std::int64_t k0 = (e - begin) * H;
    for (int h = 0; h < H; ++h) {
      sum[h] += s[k0 + h];
      const T w = row_drop ? s[k0 + h] * row_drop[k0 + h] : s[k0 + h];
      // No branch on dropped heads (see spmm_accumulate).
      axpy<kChannels>(w, xs + h * F, oi + h * F, F);
    }
  }
  for (int h = 0; h < H; ++h) {
    sum[h] = T(1) / sum[h];
    scale<kChannels>(sum[h], oi + h * F, F);
    if (bias) axpy<kChannels>(T(1), bias + h * F, oi + h * F, F);
    if (ti) {
      ti[kMax * H + h] = m[h];
      ti[kInvSum * H + h] = sum[h];
    }
  }
  if (alpha) {
    for (EdgeId e = begin; e < end; ++e) {
      for (int h = 0; h < H; ++h) alpha[e * H + h] = s[(e - begin) * H + h] * sum[h];
    }
  }
}

// The backward's two walks recompute an edge's alpha and score gradient from
// the destination's node terms instead of reading them back from E x H
// arrays:
//   alpha = exp(s_e - m_i) / sum_i,  ds = alpha (drop <g_i, x_src_j> - c_i)
// The walk by source adds to x_src_j's gradient drop alpha g_i (the value
// path) and ds a LeakyReLU'(m_e) (the score path). The walk by destination
// adds ds a LeakyReLU'(m_e) to x_dst_i's gradient and to x_edge_e's, and
// ds LeakyReLU(m_e) to its block's partial sum of the attention vector's:
// it gathers one row per edge where the walk by source gathers two, so the
// sum costs less there.
template <class T, int kHeads, int kChannels, bool kEdges>
void backward_source_row(const Gatv2Problem<T>& q, std::int64_t j, EdgeId first, EdgeId last,
                         EdgeId edge_end, const Csr& by_src, const EdgeId* out_ids,
                         const T* row_drop) {
  const int H = kHeads > 0 ? kHeads : q.shape.heads;
  const int F = kChannels > 0 ? kChannels : q.shape.channels, W = H * F, S = kTerms * H;
  const T* xs = q.x_src + j * W;
  T* gxs = q.grad_x_src + j * W;
  // What the edge kPrefetchDistance ahead will read: g_i, x_dst_i, i's terms
  // (and x_edge_e).
  auto prefetch_ahead = [&](EdgeId p) __attribute__((always_inline)) {
    if (p + kPrefetchDistance >= edge_end) return;
    const std::int64_t ahead = by_src.indices[std::size_t(p + kPrefetchDistance)];
    prefetch_bytes(q.grad_out + ahead * W, std::size_t(W) * sizeof(T));
    prefetch_bytes(q.x_dst + ahead * W, std::size_t(W) * sizeof(T));
    prefetch_bytes(q.terms + ahead * S, std::size_t(S) * sizeof(T));
    if constexpr (kEdges) {
      prefetch_bytes(q.x_edge + out_ids[p + kPrefetchDistance] * W, std::size_t(W) * sizeof(T));
    }
  };
  if constexpr (kHeads == kLanes && kChannels == kLanes) {
    using V = Lanes<T>;
    // The row's sums stay in registers and are stored once: the value path's
    // sum of w g_i, and the score path's sum of ds LeakyReLU'(m_e) (a
    // factor 1 or slope per feature), which is multiplied by a once.
    V value_sum[kLanes] = {}, score_sum[kLanes] = {};
    const V one = V{} + T(1), slope = V{} + q.slope;
    for (EdgeId p = first; p < last; ++p) {
      prefetch_ahead(p);
      const std::int64_t i = by_src.indices[std::size_t(p)];
      const T* t = q.terms + i * S;
      const T* gi = q.grad_out + i * W;
      const T* xd = q.x_dst + i * W;
      const T* xe = kEdges ? q.x_edge + out_ids[p] * W : nullptr;
      V a = blocked_scores<kEdges, T>(q.att, xd, xs, xe, q.slope) -
            edge_softmax::load_heads(t + kMax * H);
      edge_softmax::exp_heads<T>(a);
      a *= edge_softmax::load_heads(t + kInvSum * H);
      const V dr = row_drop ? edge_softmax::load_heads(row_drop + (p - first) * H) : one;
      const V w = a * dr;
      const V ds = a * (blocked_dots<T>(gi, xs) * dr - edge_softmax::load_heads(t + kRowDot * H));
#pragma GCC unroll 8
      for (int h = 0; h < H; ++h) {
        const V m = blocked_argument<kEdges>(xd, xs, xe, h);
        value_sum[h] += w[h] * edge_softmax::load_heads(gi + h * F);
        score_sum[h] += ds[h] * (m > T(0) ? one : slope);
      }
    }
#pragma GCC unroll 8
    for (int h = 0; h < H; ++h) {
      edge_softmax::store_heads(gxs + h * F,
                                edge_softmax::load_heads(gxs + h * F) + value_sum[h] +
                                    edge_softmax::load_heads(q.att + h * F) * score_sum[h]);
    }
    return;
  }
  for (EdgeId p = first; p < last; ++p) {
    prefetch_ahead(p);
    const std::int64_t i = by_src.indices[std::size_t(p)];
    const T* t = q.terms + i * S;
    const T* gi = q.grad_out + i * W;
    const T* xd = q.x_dst + i * W;
    const T* xe = kEdges ? q.x_edge + out_ids[p] * W : nullptr;
    for (int h = 0; h < H; ++h) {
      const T* xeh = xe ? xe + h * F : nullptr;
      const T* ah = q.att + h * F;
      const T x = leaky_dot<kChannels, kEdges>(ah, xd + h * F, xs + h * F, xeh, q.slope, F);
      const T a = vector_exp(x - t[kMax * H + h]) * t[kInvSum * H + h];
      const T dr = row_drop ? row_drop[(p - first) * H + h] : T(1);
      const T ds = a * (dot<kChannels>(gi + h * F, xs + h * F, F) * dr - t[kRowDot * H + h]);
      leaky_dot_backward_source_and_value<kChannels, kEdges, T>(ds, a * dr, ah, xd + h * F,
                                                                xs + h * F, xeh, gi + h * F,
                                                                q.slope, gxs + h * F, nullptr, F);
    }
  }
}

// kAttention: whether the attention vector's gradient is wanted (`partial`
// is then the block's partial row), a compile-time choice so that its sums
// stay in registers.
template <class T, int kHeads, int kChannels, bool kEdges, bool kAttention>
void backward_destination_row(const Gatv2Problem<T>& q, std::int64_t i, EdgeId begin, EdgeId end,
                              EdgeId edge_end, const NodeId* indices, const T* row_drop,
                              T* partial) {
  const int H = kHeads > 0 ? kHeads : q.shape.heads;
  const int F = kChannels > 0 ? kChannels : q.shape.channels, W = H * F, S = kTerms * H;
  const T* xd = q.x_dst + i * W;
  const T* gi = q.grad_out + i * W;
  const T* t = q.terms + i * S;
  T* gxd = q.grad_x_dst ? q.grad_x_dst + i * W : nullptr;
  auto prefetch_ahead = [&](EdgeId e) __attribute__((always_inline)) {
    if (e + kPrefetchDistance < edge_end) {
      prefetch_bytes(q.x_src + std::int64_t(indices[e + kPrefetchDistance]) * W,
                     std::size_t(W) * sizeof(T));
    }
  };
  if constexpr (kHeads == kLanes && kChannels == kLanes) {
    using V = Lanes<T>;
    const V row_max = edge_softmax::load_heads(t + kMax * H);
    const V row_inv = edge_softmax::load_heads(t + kInvSum * H);
    const V row_dot = edge_softmax::load_heads(t + kRowDot * H);
    const V one = V{} + T(1), slope = V{} + q.slope;
    // With D_e = ds_e LeakyReLU'(m_e) per feature: x_dst_i's gradient is
    // a . sum_e D_e, and the attention vector's is sum_e D_e . m_e
    // = (sum_e D_e) . x_dst_i + sum_e D_e . (x_src_j + x_edge_e): two sums
    // kept in registers, finished once per row.
    V d_sum[kLanes] = {}, dm_sum[kLanes] = {};
    for (EdgeId e = begin; e < end; ++e) {
      prefetch_ahead(e);
      const T* xs = q.x_src + std::int64_t(indices[e]) * W;
      const T* xe = kEdges ? q.x_edge + e * W : nullptr;
      V a = blocked_scores<kEdges, T>(q.att, xd, xs, xe, q.slope) - row_max;
      edge_softmax::exp_heads<T>(a);
      a *= row_inv;
      const V dr = row_drop ? edge_softmax::load_heads(row_drop + (e - begin) * H) : one;
      const V ds = a * (blocked_dots<T>(gi, xs) * dr - row_dot);
#pragma GCC unroll 8
      for (int h = 0; h < H; ++h) {
        const V m = blocked_argument<kEdges>(xd, xs, xe, h);
        const V d = ds[h] * (m > T(0) ? one : slope);
        d_sum[h] += d;
        if constexpr (kAttention) {
          V rest = edge_softmax::load_heads(xs + h * F);
          if constexpr (kEdges) rest += edge_softmax::load_heads(xe + h * F);
          dm_sum[h] += d * rest;
        }
        if (q.grad_x_edge) {
          T* ge = q.grad_x_edge + e * W + h * F;
          edge_softmax::store_heads(
              ge, edge_softmax::load_heads(ge) + d * edge_softmax::load_heads(q.att + h * F));
        }
      }
    }
#pragma GCC unroll 8
    for (int h = 0; h < H; ++h) {
      if (gxd) {
        edge_softmax::store_heads(gxd + h * F,
                                  edge_softmax::load_heads(gxd + h * F) +
                                      edge_softmax::load_heads(q.att + h * F) * d_sum[h]);
      }
      if constexpr (kAttention) {
        T* pp = partial + h * F;
        edge_softmax::store_heads(pp, edge_softmax::load_heads(pp) + dm_sum[h] +
                                          d_sum[h] * edge_softmax::load_heads(xd + h * F));
      }
    }
    return;
  }
  for (EdgeId e = begin; e < end; ++e) {
    prefetch_ahead(e);
    const T* xs = q.x_src + std::int64_t(indices[e]) * W;
    const T* xe = kEdges ? q.x_edge + e * W : nullptr;
    for (int h = 0; h < H; ++h) {
      const T* xeh = xe ? xe + h * F : nullptr;
      const T* ah = q.att + h * F;
      const T x = leaky_dot<kChannels, kEdges>(ah, xd + h * F, xs + h * F, xeh, q.slope, F);
      const T a = vector_exp(x - t[kMax * H + h]) * t[kInvSum * H + h];
      const T dr = row_drop ? row_drop[(e - begin) * H + h] : T(1);
      const T ds = a * (dot<kChannels>(gi + h * F, xs + h * F, F) * dr - t[kRowDot * H + h]);
      if (gxd) {
        leaky_dot_backward_destination<kChannels, kEdges>(ds, ah, xd + h * F, xs + h * F, xeh,
                                                          q.slope, gxd + h * F, F);
      }
      if (q.grad_x_edge) {
        leaky_dot_backward_destination<kChannels, kEdges>(
            ds, ah, xd + h * F, xs + h * F, xeh, q.slope, q.grad_x_edge + e * W + h * F, F);
      }
      if constexpr (kAttention) {
        // grad_a[f] += ds LeakyReLU(m[f]), the score gradient without x_src's share.
        leaky_dot_backward_source<kChannels, kEdges, T>(ds, ah, xd + h * F, xs + h * F, xeh,
                                                        q.slope, nullptr, partial + h * F, F);
      }
    }
  }
}

// Destination rows per block of the walk by destination: the attention
// vector's gradient is summed per block, blocks fixed by the graph, not the
// threads.
constexpr std::int64_t kBlockWork = 1 << 14;

// Runs body.template operator()<kHeads, kChannels, kEdges>() for the shape.
template <class Body>
void dispatch(HeadShape shape, bool edges, Body&& body) {
  edge_softmax::dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    if (edges) {
      body.template operator()<kHeads, kChannels, true>();
    } else {
      body.template operator()<kHeads, kChannels, false>();
    }
  });
}

}  // namespace

template <class T>
void gatv2_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> x_src,
                             std::span<const T> x_dst, std::span<const T> att, T negative_slope,
                             const KeyedDropout<T>& dropout, std::span<T> out,
                             std::span<T> node_terms, std::span<const T> bias, std::span<T> alpha,
                             std::span<const T> x_edge) {
  const int H = shape.heads, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  check_sizes("x_src", x_src.size(), std::size_t(n * W));
  check_sizes("x_dst", x_dst.size(), std::size_t(n * W));
  check_sizes("att", att.size(), std::size_t(W));
  check_sizes("out", out.size(), std::size_t(n * W));
  if (!node_terms.empty())
    check_sizes("node_terms", node_terms.size(), std::size_t(n * kTerms * H));
  if (!bias.empty()) check_sizes("bias", bias.size(), std::size_t(W));
  if (!alpha.empty()) check_sizes("alpha", alpha.size(), std::size_t(graph.num_edges() * H));
  if (!x_edge.empty()) check_sizes("x_edge", x_edge.size(), std::size_t(graph.num_edges() * W));
  const Gatv2Problem<T> q{shape,
                          x_src.data(),
                          x_dst.data(),
                          att.data(),
                          x_edge.empty() ? nullptr : x_edge.data(),
                          negative_slope,
                          &dropout,
                          node_terms.empty() ? nullptr : node_terms.data(),
                          nullptr,
                          nullptr,
                          nullptr,
                          nullptr};
  const T* b = bias.empty() ? nullptr : bias.data();
  T* a = alpha.empty() ? nullptr : alpha.data();
  const Csr& in = graph.in();
  dispatch(shape, !x_edge.empty(), [&]<int kHeads, int kChannels, bool kEdges>() {
    for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
      std::vector<T> scores;
      RowDropout<T> masks;
      const EdgeId edge_end = in.indptr[std::size_t(row_end)];
      for (std::int64_t i = row_begin; i < row_end; ++i) {
        const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
        T* oi = out.data() + i * W;
        if (begin == end) {
          // No in-edges: out = bias, and no softmax to take a gradient of.
          for (int c = 0; c < W; ++c) oi[c] = b ? b[c] : T(0);
          if (q.terms) std::fill(q.terms + i * kTerms * H, q.terms + (i + 1) * kTerms * H, T(0));
          continue;
        }
        const std::size_t count = std::size_t((end - begin) * H);
        if (scores.size() < count) scores.resize(count);
        const T* drop = dropout.active() ? masks.destination_row(dropout, begin, end, H) : nullptr;
        forward_row<T, kHeads, kChannels, kEdges>(q, i, begin, end, edge_end, in.indices.data(),
                                                  scores, drop, b, oi, a);
      }
    });
  });
}

template <class T>
void gatv2_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> x_src,
                              std::span<const T> x_dst, std::span<const T> att, T negative_slope,
                              const KeyedDropout<T>& dropout, std::span<const T> out,
                              std::span<const T> bias, std::span<T> node_terms,
                              std::span<const T> grad_out, std::span<T> grad_x_src,
                              std::span<T> grad_x_dst, std::span<T> grad_att,
                              std::span<const T> x_edge, std::span<T> grad_x_edge) {
  const int H = shape.heads, F = shape.channels, W = shape.width(), S = kTerms * H;
  const std::int64_t n = graph.num_nodes();
  const std::size_t nw = std::size_t(n * W), ew = std::size_t(graph.num_edges() * W);
  check_sizes("x_src", x_src.size(), nw);
  check_sizes("x_dst", x_dst.size(), nw);
  check_sizes("att", att.size(), std::size_t(W));
  check_sizes("out", out.size(), nw);
  check_sizes("node_terms", node_terms.size(), std::size_t(n * S));
  check_sizes("grad_out", grad_out.size(), nw);
  if (!bias.empty()) check_sizes("bias", bias.size(), std::size_t(W));
  if (!grad_x_src.empty()) check_sizes("grad_x_src", grad_x_src.size(), nw);
  if (!grad_x_dst.empty()) check_sizes("grad_x_dst", grad_x_dst.size(), nw);
  if (!grad_att.empty()) check_sizes("grad_att", grad_att.size(), std::size_t(W));
  if (!x_edge.empty()) check_sizes("x_edge", x_edge.size(), ew);
  if (!grad_x_edge.empty()) {
    if (x_edge.empty()) throw Error("gatv2 kernel: grad_x_edge given without x_edge");
    check_sizes("grad_x_edge", grad_x_edge.size(), ew);
  }
  auto data_or_null = [](std::span<T> s) { return s.empty() ? nullptr : s.data(); };
  const Gatv2Problem<T> q{shape,
                          x_src.data(),
                          x_dst.data(),
                          att.data(),
                          x_edge.empty() ? nullptr : x_edge.data(),
                          negative_slope,
                          &dropout,
                          node_terms.data(),
                          grad_out.data(),
                          data_or_null(grad_x_src),
                          data_or_null(grad_x_dst),
                          data_or_null(grad_x_edge)};
  const bool source_pass = !grad_x_src.empty();
  const bool destination_pass = !grad_x_dst.empty() || !grad_x_edge.empty() || !grad_att.empty();
  if (!source_pass && !destination_pass) return;

  // Node pass: c_i = <g_i, out_i - bias> per head (sum_e alpha_e d alpha_e),
  // so that neither walk needs a pass over a row's edges first.
  const T* b = bias.empty() ? nullptr : bias.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const T* gi = grad_out.data() + i * W;
    const T* oi = out.data() + i * W;
    for (int h = 0; h < H; ++h) {
      T c = 0;
      for (int f = 0; f < F; ++f) {
        const int k = h * F + f;
        c += gi[k] * (b ? oi[k] - b[k] : oi[k]);
      }
      node_terms[std::size_t(i * S + kRowDot * H + h)] = c;
    }
  }

  const bool dropping = dropout.active();
  dispatch(shape, !x_edge.empty(), [&]<int kHeads, int kChannels, bool kEdges>() {
    if (source_pass) {
      // Walk by source: a thread owns its rows of grad_x_src.
      const Csr& by_src = graph.out();
      const EdgeId* out_ids = graph.out_edge_ids().data();
      for_row_ranges(by_src.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
        RowDropout<T> masks;
        const EdgeId edge_end = by_src.indptr[std::size_t(row_end)];
        for (std::int64_t j = row_begin; j < row_end; ++j) {
          const EdgeId first = by_src.indptr[std::size_t(j)];
          const EdgeId last = by_src.indptr[std::size_t(j) + 1];
          if (first == last) continue;
          const T* drop = dropping ? masks.source_row(dropout, out_ids, first, last, H) : nullptr;
          backward_source_row<T, kHeads, kChannels, kEdges>(q, j, first, last, edge_end, by_src,
                                                            out_ids, drop);
        }
      });
    }
    if (destination_pass) {
      // Walk by destination: a thread owns its rows of grad_x_dst, its rows'
      // edges of grad_x_edge and its blocks' partial sums of grad_att.
      const Csr& in = graph.in();
      auto rows_of = [&]<bool kAttention>(std::int64_t row_begin, std::int64_t row_end,
                                          T* partial) {
        RowDropout<T> masks;
        const EdgeId edge_end = in.indptr[std::size_t(row_end)];
        for (std::int64_t i = row_begin; i < row_end; ++i) {
          const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
          if (begin == end) continue;
          const T* drop = dropping ? masks.destination_row(dropout, begin, end, H) : nullptr;
          backward_destination_row<T, kHeads, kChannels, kEdges, kAttention>(
              q, i, begin, end, edge_end, in.indices.data(), drop, partial);
        }
      };
      if (grad_att.empty()) {
        for_row_ranges(in.indptr, [&](std::int64_t b0, std::int64_t b1) {
          rows_of.template operator()<false>(b0, b1, nullptr);
        });
        return;
      }
      const std::int64_t rows = in.rows();
      const std::int64_t blocks =
          std::max<std::int64_t>(1, (in.nnz() + rows + kBlockWork - 1) / kBlockWork);
      const std::vector<std::int64_t> bounds = partition_rows_by_edges(in.indptr, int(blocks));
      std::vector<T> partials(std::size_t(blocks * W), T(0));
#pragma omp parallel for schedule(dynamic, 1)
      for (std::int64_t k = 0; k < blocks; ++k) {
        rows_of.template operator()<true>(bounds[std::size_t(k)], bounds[std::size_t(k) + 1],
                                          partials.data() + k * W);
      }
      for (std::int64_t k = 0; k < blocks; ++k) {
        for (int c = 0; c < W; ++c) grad_att[std::size_t(c)] += partials[std::size_t(k * W + c)];
      }
    }
  });
}

#define HEED_INSTANTIATE(T)                                                                       \
  template void gatv2_attention_forward<T>(const Graph&, HeadShape, std::span<const T>,           \
                                           std::span<const T>, std::span<const T>, T,             \
                                           const KeyedDropout<T>&, std::span<T>, std::span<T>,    \
                                           std::span<const T>, std::span<T>, std::span<const T>); \
  template void gatv2_attention_backward<T>(                                                      \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, T,     \
      const KeyedDropout<T>&, std::span<const T>, std::span<const T>, std::span<T>,               \
      std::span<const T>, std::span<T>, std::span<T>, std::span<T>, std::span<const T>,           \
      std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
