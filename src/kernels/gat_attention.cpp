#include "heed/kernels/gat_attention.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "edge_softmax.hpp"
#include "feature_loops.hpp"
#include "heed/error.hpp"
#include "heed/kernels/exp.hpp"
#include "heed/tensor/tensor.hpp"
#include "row_dropout.hpp"
#include "row_ranges.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("gat", what, got, want);
}

constexpr std::int64_t kReductionBlock = 2048;

}  // namespace

namespace {

// s_k = z a_k for K attention vectors in one pass over z (K = 1 or 2).
// Node-parallel: each iteration writes its own rows of every s_k.
template <class T, int K>
void node_scores(HeadShape shape, std::span<const T> z, const std::span<const T> (&a)[K],
                 const std::span<T> (&s)[K]) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = std::int64_t(z.size()) / W;
  for (int k = 0; k < K; ++k) {
    check_sizes("a", a[k].size(), std::size_t(W));
    check_sizes("s", s[k].size(), std::size_t(n * H));
  }
  // The common head widths as compile-time constants (the same sums, in the
  // same order, as at run time).
  dispatch_width(F, [&]<int kF>() {
#pragma omp parallel for schedule(static)
    for (std::int64_t j = 0; j < n; ++j) {
      const T* zj = z.data() + j * W;
      for (int k = 0; k < K; ++k) {
        for (int h = 0; h < H; ++h) {
          s[k][std::size_t(j * H + h)] = dot<kF>(zj + h * F, a[k].data() + h * F, F);
        }
      }
    }
  });
}

// Backward of node_scores in one pass over z and grad_z:
//   grad_z[j] += sum_k ds_k[j, h] a_k[h],   grad_a_k += sum_j ds_k[j, h] z[j, h]
// Fixed blocks of rows, each with its own partial sums of grad_a, added in
// block order: the result does not depend on the thread count.
template <class T, int K>
void node_scores_backward(HeadShape shape, std::span<const T> z, const std::span<const T> (&a)[K],
                          const std::span<const T> (&ds)[K], std::span<T> grad_z,
                          const std::span<T> (&grad_a)[K]) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = std::int64_t(z.size()) / W;
  bool any_grad_a = false;
  for (int k = 0; k < K; ++k) {
    check_sizes("a", a[k].size(), std::size_t(W));
    check_sizes("ds", ds[k].size(), std::size_t(n * H));
    if (!grad_a[k].empty()) check_sizes("grad_a", grad_a[k].size(), std::size_t(W));
    any_grad_a = any_grad_a || !grad_a[k].empty();
  }
  if (!grad_z.empty()) check_sizes("grad_z", grad_z.size(), z.size());
  if (grad_z.empty() && !any_grad_a) return;
  const std::int64_t blocks = (n + kReductionBlock - 1) / kReductionBlock;
  std::vector<T> partial(any_grad_a ? std::size_t(blocks * K * W) : 0, T(0));
  dispatch_width(F, [&]<int kF>() {
#pragma omp parallel for schedule(guided)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t end = std::min(n, (b + 1) * kReductionBlock);
      for (std::int64_t j = b * kReductionBlock; j < end; ++j) {
        const T* zj = z.data() + j * W;
        T* gz = grad_z.empty() ? nullptr : grad_z.data() + j * W;
        for (int k = 0; k < K; ++k) {
          T* p = any_grad_a ? partial.data() + (b * K + k) * W : nullptr;
          for (int h = 0; h < H; ++h) {
            const T d = ds[k][std::size_t(j * H + h)];
            if (gz) axpy<kF>(d, a[k].data() + h * F, gz + h * F, F);
            if (p && !grad_a[k].empty()) axpy<kF>(d, zj + h * F, p + h * F, F);
          }
        }
      }
    }
  });
  for (int k = 0; k < K; ++k) {
    if (grad_a[k].empty()) continue;
    for (std::int64_t b = 0; b < blocks; ++b) {
      const T* p = partial.data() + (b * K + k) * W;
      for (int c = 0; c < W; ++c) grad_a[k][std::size_t(c)] += p[c];
    }
  }
}

}  // namespace

template <class T>
void gat_node_scores(HeadShape shape, std::span<const T> z, std::span<const T> a, std::span<T> s) {
  const std::span<const T> as[1] = {a};
  const std::span<T> ss[1] = {s};
  node_scores<T, 1>(shape, z, as, ss);
}

template <class T>
void gat_node_scores_backward(HeadShape shape, std::span<const T> z, std::span<const T> a,
                              std::span<const T> ds, std::span<T> grad_z, std::span<T> grad_a) {
  const std::span<const T> as[1] = {a};
  const std::span<const T> dss[1] = {ds};
  const std::span<T> gas[1] = {grad_a};
  node_scores_backward<T, 1>(shape, z, as, dss, grad_z, gas);
}

template <class T>
void gat_node_score_pair(HeadShape shape, std::span<const T> z, std::span<const T> a_src,
                         std::span<const T> a_dst, std::span<T> s_src, std::span<T> s_dst) {
  const std::span<const T> as[2] = {a_src, a_dst};
  const std::span<T> ss[2] = {s_src, s_dst};
  node_scores<T, 2>(shape, z, as, ss);
}

template <class T>
void gat_node_score_pair_backward(HeadShape shape, std::span<const T> z, std::span<const T> a_src,
                                  std::span<const T> a_dst, std::span<const T> ds_src,
                                  std::span<const T> ds_dst, std::span<T> grad_z,
                                  std::span<T> grad_a_src, std::span<T> grad_a_dst) {
  const std::span<const T> as[2] = {a_src, a_dst};
  const std::span<const T> dss[2] = {ds_src, ds_dst};
  const std::span<T> gas[2] = {grad_a_src, grad_a_dst};
  node_scores_backward<T, 2>(shape, z, as, dss, grad_z, gas);
}

namespace {

// A destination's row of node terms: s_dst, the softmax's maximum m and
// 1 / sum, then A (the summed alpha of the in-edges whose raw score is
// positive; the backward's node pass replaces it by c_i = <g_i, out_i>).
constexpr int kTerms = kGatNodeTerms;
enum Term { kScoreDst = 0, kMax = 1, kInvSum = 2, kPositiveOrC = 3 };

template <class T>
[[gnu::always_inline]] inline T leaky(T x, T slope) {
  return x > T(0) ? x : x * slope;
}

// Per-thread scratch for one destination row: raw scores and exps.
template <class T>
struct RowScratch {
  std::vector<T> raw, p;
  void fit(std::size_t n) {
    if (raw.size() < n) raw.resize(n), p.resize(n);
  }
};

// One destination row, kLanes heads: an edge's heads are one vector. With
// kLanes features a head, the row's output and positive part stay in
// registers across its edges.
//   pass 1: raw_e = s_dst_i + s_src_j, m = max_e LeakyReLU(raw_e)
//   pass 2: p_e = exp(LeakyReLU(raw_e) - m), out += drop_e p_e z_j,
//           P += [raw_e > 0] drop_e p_e z_j, A += [raw_e > 0] p_e
template <class T, int kChannels, bool kSave>
void forward_row_lanes(std::int64_t i, EdgeId begin, EdgeId end, EdgeId edge_end,
                       const NodeId* indices, int runtime_f, const T* z, const T* s_src,
                       const T* s_dst, T slope, const T* row_drop, RowScratch<T>& scratch,
                       const T* bias, T* oi, T* pi, T* ti, T* alpha) {
  using V = Lanes<T>;
  constexpr int H = kLanes;
  const int F = kChannels > 0 ? kChannels : runtime_f, W = H * F;
  const V sd = edge_softmax::load_heads(s_dst + i * H);
  V m = V{} - std::numeric_limits<T>::infinity();
  T* raw = scratch.raw.data();
  for (EdgeId e = begin; e < end; ++e) {
    if (e + kPrefetchDistance < edge_end) {
      __builtin_prefetch(s_src + std::int64_t(indices[e + kPrefetchDistance]) * H);
    }
    const V r = sd + edge_softmax::load_heads(s_src + std::int64_t(indices[e]) * H);
    edge_softmax::store_heads(raw + (e - begin) * H, r);
    const V x = r > T(0) ? r : r * slope;
    m = m > x ? m : x;
  }
  V sum = {}, positive = {};
  V acc[kLanes] = {}, pacc[kLanes] = {};  // used when kChannels == kLanes
  if constexpr (kChannels != kLanes) {
    std::fill(oi, oi + W, T(0));
    if constexpr (kSave) std::fill(pi, pi + W, T(0));
  }
  for (EdgeId e = begin; e < end; ++e) {
    const V r = edge_softmax::load_heads(raw + (e - begin) * H);
    V p = (r > T(0) ? r : r * slope) - m;
    edge_softmax::exp_heads<T>(p);
    if (alpha) edge_softmax::store_heads(scratch.p.data() + (e - begin) * H, p);
    sum += p;
    const V w = row_drop ? p * edge_softmax::load_heads(row_drop + (e - begin) * H) : p;
    const V wp = r > T(0) ? w : V{};
    if constexpr (kSave) positive += r > T(0) ? p : V{};
    if (e + kPrefetchDistance < edge_end) {
      prefetch_bytes(z + std::int64_t(indices[e + kPrefetchDistance]) * W,
                     std::size_t(W) * sizeof(T));
    }
    const T* zj = z + std::int64_t(indices[e]) * W;
    if constexpr (kChannels == kLanes) {
      for (int h = 0; h < H; ++h) {
        const V zh = edge_softmax::load_heads(zj + h * F);
        acc[h] += w[h] * zh;
        if constexpr (kSave) pacc[h] += wp[h] * zh;
      }
    } else {
      for (int h = 0; h < H; ++h) {
        axpy<kChannels>(w[h], zj + h * F, oi + h * F, F);
        if constexpr (kSave) axpy<kChannels>(wp[h], zj + h * F, pi + h * F, F);
      }
    }
  }
  const V inv = T(1) / sum;
  for (int h = 0; h < H; ++h) {
    T* o = oi + h * F;
    if constexpr (kChannels == kLanes) {
      V v = acc[h] * inv[h];
      if (bias) v += edge_softmax::load_heads(bias + h * F);
      edge_softmax::store_heads(o, v);
      if constexpr (kSave) edge_softmax::store_heads(pi + h * F, pacc[h] * inv[h]);
    } else {
      scale<kChannels>(inv[h], o, F);
      if (bias) axpy<kChannels>(T(1), bias + h * F, o, F);
      if constexpr (kSave) scale<kChannels>(inv[h], pi + h * F, F);
    }
  }
  if constexpr (kSave) {
    edge_softmax::store_heads(ti + kScoreDst * H, sd);
    edge_softmax::store_heads(ti + kMax * H, m);
    edge_softmax::store_heads(ti + kInvSum * H, inv);
    edge_softmax::store_heads(ti + kPositiveOrC * H, positive * inv);
  }
  if (alpha) {
    for (EdgeId e = begin; e < end; ++e) {
      edge_softmax::store_heads(alpha + e * H,
                                edge_softmax::load_heads(scratch.p.data() + (e - begin) * H) * inv);
    }
  }
}

// The same for any head count, head by head.
template <class T, int kHeads, int kChannels, bool kSave>
void forward_row(std::int64_t i, EdgeId begin, EdgeId end, EdgeId edge_end, const NodeId* indices,
                 HeadShape shape, const T* z, const T* s_src, const T* s_dst, T slope,
                 const T* row_drop, RowScratch<T>& scratch, T* st, const T* bias, T* oi, T* pi,
                 T* ti, T* alpha) {
  const int H = kHeads > 0 ? kHeads : shape.heads;
  const int F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  T* m = st;  // st: m, sum and A, H each
  T* sum = st + H;
  T* positive = st + 2 * H;
  const T* sd = s_dst + i * H;
  T* raw = scratch.raw.data();
  T* p = scratch.p.data();
  for (int h = 0; h < H; ++h) m[h] = -std::numeric_limits<T>::infinity();
  for (EdgeId e = begin; e < end; ++e) {
    if (e + kPrefetchDistance < edge_end) {
      __builtin_prefetch(s_src + std::int64_t(indices[e + kPrefetchDistance]) * H);
    }
    const T* ss = s_src + std::int64_t(indices[e]) * H;
    T* r = raw + (e - begin) * H;
    for (int h = 0; h < H; ++h) {
      r[h] = sd[h] + ss[h];
      const T x = leaky(r[h], slope);
      p[(e - begin) * H + h] = x;
      m[h] = m[h] > x ? m[h] : x;
    }
  }
  // exp over the row's scores as one flat loop, which vectorises.
  const std::int64_t count = (end - begin) * H;
  for (std::int64_t k = 0; k < count; ++k) p[k] -= m[k % H];
  exp_in_place(p, count);
  std::fill(oi, oi + W, T(0));
  if constexpr (kSave) std::fill(pi, pi + W, T(0));
  for (int h = 0; h < H; ++h) sum[h] = positive[h] = T(0);
  for (EdgeId e = begin; e < end; ++e) {
    if (e + kPrefetchDistance < edge_end) {
      prefetch_bytes(z + std::int64_t(indices[e + kPrefetchDistance]) * W,
                     std::size_t(W) * sizeof(T));
    }
    const T* zj = z + std::int64_t(indices[e]) * W;
    const std::int64_t k0 = (e - begin) * H;
    for (int h = 0; h < H; ++h) {
      const T pe = p[k0 + h];
      sum[h] += pe;
      const T w = row_drop ? pe * row_drop[k0 + h] : pe;
      // No branch on the sign: it is a coin flip per edge.
      const bool up = raw[k0 + h] > T(0);
      axpy<kChannels>(w, zj + h * F, oi + h * F, F);
      if constexpr (kSave) {
        positive[h] += up ? pe : T(0);
        axpy<kChannels>(up ? w : T(0), zj + h * F, pi + h * F, F);
      }
    }
  }
  for (int h = 0; h < H; ++h) {
    const T inv = T(1) / sum[h];
    scale<kChannels>(inv, oi + h * F, F);
    if (bias) axpy<kChannels>(T(1), bias + h * F, oi + h * F, F);
    if constexpr (kSave) {
      scale<kChannels>(inv, pi + h * F, F);
      ti[kScoreDst * H + h] = sd[h];
      ti[kMax * H + h] = m[h];
      ti[kInvSum * H + h] = inv;
      ti[kPositiveOrC * H + h] = positive[h] * inv;
    }
    sum[h] = inv;
  }
  if (alpha) {
    for (EdgeId e = begin; e < end; ++e) {
      for (int h = 0; h < H; ++h) alpha[e * H + h] = p[(e - begin) * H + h] * sum[h];
    }
  }
}

// What the out-edge kPrefetchDistance positions after p reads of its
// destination: the gradient row and the node terms.
template <class T>
[[gnu::always_inline]] inline void prefetch_destination(const Csr& by_src, EdgeId p,
                                                        EdgeId edge_end, const T* grad_out, int W,
                                                        const T* terms, int S) {
  if (p + kPrefetchDistance >= edge_end) return;
  const std::int64_t ahead = by_src.indices[std::size_t(p + kPrefetchDistance)];
  prefetch_bytes(grad_out + ahead * W, std::size_t(W) * sizeof(T));
  prefetch_bytes(terms + ahead * S, std::size_t(S) * sizeof(T));
}

// The backward's walk of source row j, kLanes heads of kLanes features: z_j
// and the row's gradient sums stay in registers; per out-edge (j -> i) it
// loads g_i and i's node terms and recomputes alpha from them:
//   raw = s_dst_i + s_src_j,  alpha = exp(LeakyReLU(raw) - m_i) / sum_i
//   ds = alpha (drop <g_i, z_j> - c_i),  grad_s_src_j += LeakyReLU'(raw) ds
//   grad_z_j += drop alpha g_i
template <class T>
void backward_source_row_blocked(std::int64_t j, EdgeId first, EdgeId last, EdgeId edge_end,
                                 const Csr& by_src, const T* z, const T* s_src, const T* terms,
                                 const T* grad_out, T slope, const T* row_drop, bool need_scores,
                                 T* gz, T* gss) {
  using V = Lanes<T>;
  constexpr int H = kLanes, F = kLanes, W = H * F, S = kTerms * H;
  V zv[kLanes], gacc[kLanes] = {}, gvec[kLanes], prod[kLanes];
  const T* zj = z + j * W;
  for (int h = 0; h < H; ++h) zv[h] = edge_softmax::load_heads(zj + h * F);
  const V ss = edge_softmax::load_heads(s_src + j * H);
  V score_sum = {};
  T dots[kLanes];
  for (EdgeId p = first; p < last; ++p) {
    prefetch_destination(by_src, p, edge_end, grad_out, W, terms, S);
    const std::int64_t i = by_src.indices[std::size_t(p)];
    const T* t = terms + i * S;
    const V r = edge_softmax::load_heads(t + kScoreDst * H) + ss;
    V a = (r > T(0) ? r : r * slope) - edge_softmax::load_heads(t + kMax * H);
    edge_softmax::exp_heads<T>(a);
    a *= edge_softmax::load_heads(t + kInvSum * H);
    const V dr = row_drop ? edge_softmax::load_heads(row_drop + (p - first) * H) : V{} + T(1);
    const V w = a * dr;
    const T* gi = grad_out + i * W;
    for (int h = 0; h < H; ++h) gvec[h] = edge_softmax::load_heads(gi + h * F);
    if (need_scores) {
      for (int h = 0; h < H; ++h) prod[h] = gvec[h] * zv[h];
      lane_sums_8x8<T>(prod, dots);
      const V ds = a * (edge_softmax::load_heads(dots) * dr -
                        edge_softmax::load_heads(t + kPositiveOrC * H));
      score_sum += r > T(0) ? ds : ds * slope;
    }
    for (int h = 0; h < H; ++h) gacc[h] += w[h] * gvec[h];
  }
  if (gz) {
    T* g = gz + j * W;
    for (int h = 0; h < H; ++h) {
      edge_softmax::store_heads(g + h * F, edge_softmax::load_heads(g + h * F) + gacc[h]);
    }
  }
  if (gss) {
    T* g = gss + j * H;
    edge_softmax::store_heads(g, edge_softmax::load_heads(g) + score_sum);
  }
}

// The same for any shape, head by head.
template <class T, int kHeads, int kChannels>
void backward_source_row(std::int64_t j, EdgeId first, EdgeId last, EdgeId edge_end,
                         const Csr& by_src, HeadShape shape, const T* z, const T* s_src,
                         const T* terms, const T* grad_out, T slope, const T* row_drop,
                         bool need_scores, T* gz, T* gss) {
  const int H = kHeads > 0 ? kHeads : shape.heads;
  const int F = kChannels > 0 ? kChannels : shape.channels, W = H * F, S = kTerms * H;
  const T* zj = z + j * W;
  const T* ss = s_src + j * H;
  T* gzj = gz ? gz + j * W : nullptr;
  T* gsj = gss ? gss + j * H : nullptr;
  for (EdgeId p = first; p < last; ++p) {
    prefetch_destination(by_src, p, edge_end, grad_out, W, terms, S);
    const std::int64_t i = by_src.indices[std::size_t(p)];
    const T* t = terms + i * S;
    const T* gi = grad_out + i * W;
    for (int h = 0; h < H; ++h) {
      const T r = t[kScoreDst * H + h] + ss[h];
      const T a = vector_exp(leaky(r, slope) - t[kMax * H + h]) * t[kInvSum * H + h];
      const T dr = row_drop ? row_drop[(p - first) * H + h] : T(1);
      if (need_scores) {
        const T ds = a * (dot<kChannels>(gi + h * F, zj + h * F, F) * dr - t[kPositiveOrC * H + h]);
        if (gsj) gsj[h] += r > T(0) ? ds : ds * slope;
      }
      if (gzj) axpy<kChannels>(a * dr, gi + h * F, gzj + h * F, F);
    }
  }
}

}  // namespace

template <class T>
void gat_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                           std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                           const KeyedDropout<T>& dropout, std::span<T> out, GatState<T> state,
                           std::span<const T> bias, std::span<T> alpha) {
  const int H = shape.heads, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  check_sizes("z", z.size(), std::size_t(n * W));
  check_sizes("s_src", s_src.size(), std::size_t(n * H));
  check_sizes("s_dst", s_dst.size(), std::size_t(n * H));
  check_sizes("out", out.size(), std::size_t(n * W));
  const bool save = !state.node_terms.empty();
  if (save) {
    check_sizes("node_terms", state.node_terms.size(), std::size_t(n * kTerms * H));
    check_sizes("positive_out", state.positive_out.size(), std::size_t(n * W));
  }
  if (!bias.empty()) check_sizes("bias", bias.size(), std::size_t(W));
  if (!alpha.empty()) check_sizes("alpha", alpha.size(), std::size_t(graph.num_edges() * H));
  const T* b = bias.empty() ? nullptr : bias.data();
  T* a = alpha.empty() ? nullptr : alpha.data();
  const Csr& in = graph.in();
  const NodeId* indices = in.indices.data();
  const bool dropping = dropout.active();
  edge_softmax::dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    auto run = [&]<bool kSave>() {
      for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
        RowScratch<T> scratch;
        RowDropout<T> masks;
        edge_softmax::HeadBuffer<T, kHeads == 0 ? 0 : 3 * kHeads> stats(3 * H);
        const EdgeId edge_end = in.indptr[std::size_t(row_end)];
        for (std::int64_t i = row_begin; i < row_end; ++i) {
          const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
          T* oi = out.data() + i * W;
          T* pi = kSave ? state.positive_out.data() + i * W : nullptr;
          T* ti = kSave ? state.node_terms.data() + i * kTerms * H : nullptr;
          if (begin == end) {
            // No in-edges: out = bias, and nothing to take a gradient of.
            for (int c = 0; c < W; ++c) oi[c] = b ? b[c] : T(0);
            if constexpr (kSave) {
              std::fill(pi, pi + W, T(0));
              std::fill(ti, ti + kTerms * H, T(0));
              for (int h = 0; h < H; ++h) ti[kScoreDst * H + h] = s_dst[std::size_t(i * H + h)];
            }
            continue;
          }
          const std::size_t count = std::size_t((end - begin) * H);
          scratch.fit(count);
          const T* drop = dropping ? masks.destination_row(dropout, begin, end, H) : nullptr;
          if constexpr (kHeads == kLanes) {
            forward_row_lanes<T, kChannels, kSave>(i, begin, end, edge_end, indices, shape.channels,
                                                   z.data(), s_src.data(), s_dst.data(),
                                                   negative_slope, drop, scratch, b, oi, pi, ti, a);
          } else {
            forward_row<T, kHeads, kChannels, kSave>(
                i, begin, end, edge_end, indices, shape, z.data(), s_src.data(), s_dst.data(),
                negative_slope, drop, scratch, stats.data(), b, oi, pi, ti, a);
          }
        }
      });
    };
    if (save) {
      run.template operator()<true>();
    } else {
      run.template operator()<false>();
    }
  });
}

template <class T>
void gat_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                            std::span<const T> s_src, T negative_slope,
                            const KeyedDropout<T>& dropout, std::span<const T> out,
                            std::span<const T> bias, std::span<T> node_terms,
                            std::span<const T> positive_out, std::span<const T> grad_out,
                            std::span<T> grad_z, std::span<T> grad_s_src, std::span<T> grad_s_dst) {
  const int H = shape.heads, F = shape.channels, W = shape.width(), S = kTerms * H;
  const std::int64_t n = graph.num_nodes();
  check_sizes("z", z.size(), std::size_t(n * W));
  check_sizes("s_src", s_src.size(), std::size_t(n * H));
  check_sizes("out", out.size(), std::size_t(n * W));
  check_sizes("node_terms", node_terms.size(), std::size_t(n * S));
  check_sizes("positive_out", positive_out.size(), std::size_t(n * W));
  check_sizes("grad_out", grad_out.size(), std::size_t(n * W));
  if (!bias.empty()) check_sizes("bias", bias.size(), std::size_t(W));
  if (!grad_z.empty()) check_sizes("grad_z", grad_z.size(), std::size_t(n * W));
  if (!grad_s_src.empty()) check_sizes("grad_s_src", grad_s_src.size(), std::size_t(n * H));
  if (!grad_s_dst.empty()) check_sizes("grad_s_dst", grad_s_dst.size(), std::size_t(n * H));
  const bool need_scores = !grad_s_src.empty() || !grad_s_dst.empty();
  if (!need_scores && grad_z.empty()) return;
  T* terms = node_terms.data();
  const T* b = bias.empty() ? nullptr : bias.data();

  // Node pass: c_i = <g_i, out_i - bias> per head, and the destination's
  // score gradient without visiting an edge. With ds_e = alpha_e (drop_e
  // <g_i, z_j> - c_i), sum_e ds_e = c_i - c_i sum_e alpha_e = 0, so
  //   grad_s_dst_i = sum_e LeakyReLU'(raw_e) ds_e = (1 - slope) sum_{raw_e > 0} ds_e
  //                = (1 - slope) (<g_i, P_i> - c_i A_i)
  // with P_i and A_i the forward's positive part of out_i and of sum alpha.
  // Each i writes its own rows.
  if (need_scores) {
    const T* P = positive_out.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      T* t = terms + i * S;
      const T* gi = grad_out.data() + i * W;
      const T* oi = out.data() + i * W;
      for (int h = 0; h < H; ++h) {
        T c = 0, gp = 0;
        for (int f = 0; f < F; ++f) {
          const int k = h * F + f;
          c += gi[k] * (b ? oi[k] - b[k] : oi[k]);
          gp += gi[k] * P[i * W + k];
        }
        if (!grad_s_dst.empty()) {
          grad_s_dst[std::size_t(i * H + h)] +=
              (T(1) - negative_slope) * (gp - c * t[kPositiveOrC * H + h]);
        }
        t[kPositiveOrC * H + h] = c;
      }
    }
  }

  // Source pass over the out-CSR: a thread owns its rows of grad_z and
  // grad_s_src; alpha is recomputed from the destinations' node terms.
  const Csr& by_src = graph.out();
  const EdgeId* out_ids = graph.out_edge_ids().data();
  const bool dropping = dropout.active();
  T* gz = grad_z.empty() ? nullptr : grad_z.data();
  T* gss = grad_s_src.empty() ? nullptr : grad_s_src.data();
  edge_softmax::dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    for_row_ranges(by_src.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
      RowDropout<T> masks;
      const EdgeId edge_end = by_src.indptr[std::size_t(row_end)];
      for (std::int64_t j = row_begin; j < row_end; ++j) {
        const EdgeId first = by_src.indptr[std::size_t(j)],
                     last = by_src.indptr[std::size_t(j) + 1];
        if (first == last) continue;
        const T* drop = dropping ? masks.source_row(dropout, out_ids, first, last, H) : nullptr;
        if constexpr (kHeads == kLanes && kChannels == kLanes) {
          backward_source_row_blocked<T>(j, first, last, edge_end, by_src, z.data(), s_src.data(),
                                         terms, grad_out.data(), negative_slope, drop, need_scores,
                                         gz, gss);
        } else {
          backward_source_row<T, kHeads, kChannels>(j, first, last, edge_end, by_src, shape,
                                                    z.data(), s_src.data(), terms, grad_out.data(),
                                                    negative_slope, drop, need_scores, gz, gss);
        }
      }
    });
  });
}

#define HEED_INSTANTIATE(T)                                                                       \
  template void gat_node_scores<T>(HeadShape, std::span<const T>, std::span<const T>,             \
                                   std::span<T>);                                                 \
  template void gat_node_scores_backward<T>(HeadShape, std::span<const T>, std::span<const T>,    \
                                            std::span<const T>, std::span<T>, std::span<T>);      \
  template void gat_node_score_pair<T>(HeadShape, std::span<const T>, std::span<const T>,         \
                                       std::span<const T>, std::span<T>, std::span<T>);           \
  template void gat_node_score_pair_backward<T>(                                                  \
      HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, std::span<const T>,  \
      std::span<const T>, std::span<T>, std::span<T>, std::span<T>);                              \
  template void gat_attention_forward<T>(                                                         \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, T,     \
      const KeyedDropout<T>&, std::span<T>, GatState<T>, std::span<const T>, std::span<T>);       \
  template void gat_attention_backward<T>(                                                        \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, T, const KeyedDropout<T>&, \
      std::span<const T>, std::span<const T>, std::span<T>, std::span<const T>,                   \
      std::span<const T>, std::span<T>, std::span<T>, std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
