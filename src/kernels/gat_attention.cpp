#include "heed/kernels/gat_attention.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "feature_loops.hpp"
#include "heed/error.hpp"
#include "heed/kernels/exp.hpp"
#include "heed/tensor/tensor.hpp"
#include "row_ranges.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

template <class T>
T leaky_relu(T x, T slope) {
  return x > T(0) ? x : x * slope;
}

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
#pragma omp parallel for schedule(guided)
  for (std::int64_t j = 0; j < n; ++j) {
    const T* zj = z.data() + j * W;
    for (int k = 0; k < K; ++k) {
      for (int h = 0; h < H; ++h) {
        s[k][std::size_t(j * H + h)] = dot<0>(zj + h * F, a[k].data() + h * F, F);
      }
    }
  }
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
          if (gz) axpy<0>(d, a[k].data() + h * F, gz + h * F, F);
          if (p && !grad_a[k].empty()) axpy<0>(d, zj + h * F, p + h * F, F);
        }
      }
    }
  }
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

// Per-head scratch: a fixed array when the head count is a compile-time
// constant (the loops over heads then unroll into registers), else a vector.
template <class T, int kHeads>
struct HeadBuffer {
  explicit HeadBuffer(int) {}
  T* data() { return values.data(); }
  // At least 4: KeyedDropout::scales writes whole words in its body loop,
  // which GCC cannot see never runs for fewer elements (-Warray-bounds).
  std::array<T, std::size_t(kHeads < 4 ? 4 : kHeads)> values{};
};
template <class T>
struct HeadBuffer<T, 0> {
  explicit HeadBuffer(int heads) : values(std::size_t(heads)) {}
  T* data() { return values.data(); }
  std::vector<T> values;
};

// Calls body.template operator()<kHeads, kChannels>() with compile-time
// constants for the common shapes (8 heads, or any head count with one of
// the common widths), 0 for what stays a run-time value.
template <class Body>
void dispatch_shape(HeadShape shape, Body&& body) {
  if (shape.heads == 8) {
    dispatch_width(shape.channels,
                   [&]<int kChannels>() { body.template operator()<8, kChannels>(); });
  } else if (shape.heads == 1) {
    dispatch_width(shape.channels,
                   [&]<int kChannels>() { body.template operator()<1, kChannels>(); });
  } else {
    dispatch_width(shape.channels,
                   [&]<int kChannels>() { body.template operator()<0, kChannels>(); });
  }
}

// e = LeakyReLU(s_dst[i] + s_src[j]); alpha = exp(e - max) / sum; out_i = sum drop(alpha) z_j.
// Node-parallel by destination over the in-CSR: a thread owns its rows of out
// and its rows' edges of alpha. Two passes per row: scores and their max
// (reading only s_src[j], H values), then exp, sum and the weighted sum of
// z_j (the one read of a neighbour's features), normalised at the end.
// Vector helpers for the 8-head paths: a Lanes<T> holds one value per head.
template <class T>
[[gnu::always_inline]] inline Lanes<T> load_heads(const T* p) {
  Lanes<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T, class V>
[[gnu::always_inline]] inline void store_heads(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}
template <class T, class V>
[[gnu::always_inline]] inline void exp_heads(V& v) {
  if constexpr (std::is_same_v<T, float>) {
    vector_exp_lanes<Lanes<float>, Lanes<std::int32_t>>(v);
  } else {
    for (int h = 0; h < kLanes; ++h) v[h] = vector_exp(v[h]);
  }
}

// One destination row of the forward pass with H == kLanes heads, every
// per-head step a single vector operation. Same arithmetic, in the same
// order per head, as the scalar path.
template <class T, int kChannels>
void forward_row_vector(EdgeId begin, EdgeId end, EdgeId edge_end, const NodeId* indices,
                        const T* z, const T* s_src, const T* sd_row, T negative_slope,
                        const KeyedDropout<T>& dropout, const T* row_drop, T* alpha, T* oi,
                        int runtime_f) {
  using V = Lanes<T>;
  constexpr int H = kLanes;
  const int F = kChannels > 0 ? kChannels : runtime_f, W = H * F;
  const V sd = load_heads(sd_row);
  V m = V{} - std::numeric_limits<T>::infinity();
  for (EdgeId e = begin; e < end; ++e) {
    if (e + kPrefetchDistance < edge_end) {
      __builtin_prefetch(s_src + std::int64_t(indices[e + kPrefetchDistance]) * H);
    }
    V x = sd + load_heads(s_src + std::int64_t(indices[e]) * H);
    x = x > T(0) ? x : x * negative_slope;
    store_heads(alpha + e * H, x);
    m = m > x ? m : x;
  }
  V sum = {};
  V acc[kLanes] = {};  // used when kChannels == kLanes
  for (EdgeId e = begin; e < end; ++e) {
    V p = load_heads(alpha + e * H) - m;
    exp_heads<T>(p);
    store_heads(alpha + e * H, p);
    sum += p;
    if (dropout.active()) p *= load_heads(row_drop + (e - begin) * H);
    if (e + kPrefetchDistance < edge_end) {
      prefetch_bytes(z + std::int64_t(indices[e + kPrefetchDistance]) * W,
                     std::size_t(W) * sizeof(T));
    }
    const T* zj = z + std::int64_t(indices[e]) * W;
    if constexpr (kChannels == kLanes) {
      // 8 heads x 8 features: the row's output stays in registers.
      for (int h = 0; h < H; ++h) acc[h] += p[h] * load_heads(zj + h * F);
    } else {
      for (int h = 0; h < H; ++h) axpy<kChannels>(p[h], zj + h * F, oi + h * F, F);
    }
  }
  const V inv = T(1) / sum;
  if constexpr (kChannels == kLanes) {
    for (int h = 0; h < H; ++h) store_heads(oi + h * F, acc[h] * inv[h]);
  } else {
    for (int h = 0; h < H; ++h) scale<kChannels>(inv[h], oi + h * F, F);
  }
  for (EdgeId e = begin; e < end; ++e) store_heads(alpha + e * H, load_heads(alpha + e * H) * inv);
}

template <class T, int kHeads, int kChannels>
void attention_forward_rows(const Graph& graph, HeadShape shape, const T* z, const T* s_src,
                            const T* s_dst, T negative_slope, const KeyedDropout<T>& dropout,
                            T* alpha, T* out) {
  const int H = kHeads > 0 ? kHeads : shape.heads;
  const int F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  const Csr& in = graph.in();
  const NodeId* indices = in.indices.data();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    HeadBuffer<T, kHeads> max_buffer(H), sum_buffer(H), weight_buffer(H);
    std::vector<T> row_drop;
    T* m = max_buffer.data();
    T* sum = sum_buffer.data();
    T* w = weight_buffer.data();
    const EdgeId edge_end = in.indptr[std::size_t(row_end)];
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
      T* oi = out + i * W;
      std::fill(oi, oi + W, T(0));
      if (begin == end) continue;
      // The row's dropout masks in one call: its edges' counters are contiguous.
      if (dropout.active()) {
        row_drop.resize(std::max(row_drop.size(), std::size_t((end - begin) * H)));
        dropout.scales(std::uint64_t(begin * H), int((end - begin) * H), row_drop.data());
      }
      if constexpr (kHeads == kLanes) {
        // One vector holds an edge's scores for all heads.
        forward_row_vector<T, kChannels>(begin, end, edge_end, indices, z, s_src, s_dst + i * H,
                                         negative_slope, dropout, row_drop.data(), alpha, oi, F);
        continue;
      }
      const T* sd = s_dst + i * H;
      for (int h = 0; h < H; ++h) m[h] = -std::numeric_limits<T>::infinity();
      for (EdgeId e = begin; e < end; ++e) {
        if (e + kPrefetchDistance < edge_end) {
          const std::int64_t ahead = indices[e + kPrefetchDistance];
          prefetch_bytes(s_src + ahead * H, std::size_t(H) * sizeof(T));
        }
        const T* ss = s_src + std::int64_t(indices[e]) * H;
        T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) {
          const T x = leaky_relu(sd[h] + ss[h], negative_slope);
          ae[h] = x;
          m[h] = m[h] > x ? m[h] : x;
        }
      }
      // exp over the row's scores as one flat loop, which vectorises.
      for (EdgeId e = begin; e < end; ++e) {
        T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) ae[h] -= m[h];
      }
      T* row_alpha = alpha + begin * H;
      const std::int64_t row_len = (end - begin) * H;
      exp_in_place(row_alpha, row_len);
      for (int h = 0; h < H; ++h) sum[h] = T(0);
      for (EdgeId e = begin; e < end; ++e) {
        const T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) {
          sum[h] += ae[h];
          w[h] = ae[h];
        }
        if (dropout.active()) {
          const T* drop = row_drop.data() + (e - begin) * H;
          for (int h = 0; h < H; ++h) w[h] *= drop[h];
        }
        if (e + kPrefetchDistance < edge_end) {
          prefetch_bytes(z + std::int64_t(indices[e + kPrefetchDistance]) * W,
                         std::size_t(W) * sizeof(T));
        }
        const T* zj = z + std::int64_t(indices[e]) * W;
        // No branch on dropped heads (see spmm_accumulate).
        for (int h = 0; h < H; ++h) axpy<kChannels>(w[h], zj + h * F, oi + h * F, F);
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

}  // namespace

template <class T>
void gat_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                           std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                           const KeyedDropout<T>& dropout, std::span<T> alpha, std::span<T> out) {
  const int H = shape.heads, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  check_sizes("z", z.size(), std::size_t(n * W));
  check_sizes("s_src", s_src.size(), std::size_t(n * H));
  check_sizes("s_dst", s_dst.size(), std::size_t(n * H));
  check_sizes("alpha", alpha.size(), std::size_t(graph.num_edges() * H));
  check_sizes("out", out.size(), std::size_t(n * W));
  dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    attention_forward_rows<T, kHeads, kChannels>(graph, shape, z.data(), s_src.data(), s_dst.data(),
                                                 negative_slope, dropout, alpha.data(), out.data());
  });
}

namespace {

// With g = grad_out, d alpha_e = drop_e <g_i, z_j> and, since out_i = sum_e
// alpha_e drop_e z_j, sum_e alpha_e d alpha_e = <g_i, out_i> (row_dot). So
//   d score_e = alpha_e (d alpha_e - <g_i, out_i>) LeakyReLU'(raw_e)
// needs no per-row pass over edges first, and one walk of the out-CSR by
// source computes everything that needs a neighbour's features:
//   grad_z_j += sum_e alpha_e drop_e g_i,  grad_s_src_j += sum_e d score_e.
// Source-parallel: a thread owns its rows of grad_z and grad_s_src, and the
// score gradients of its rows' out-edges (stored by edge id in edge_work).
template <class T, int kHeads, int kChannels>
void attention_backward_sources(const Graph& graph, HeadShape shape, const T* z, const T* s_src,
                                T negative_slope, const KeyedDropout<T>& dropout, const T* alpha,
                                const T* dst_terms, const T* grad_out, T* grad_z, T* grad_s_src,
                                T* edge_work) {
  const int H = kHeads > 0 ? kHeads : shape.heads;
  const int F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  const Csr& by_src = graph.out();
  const EdgeId* out_ids = graph.out_edge_ids().data();
  const bool need_scores = dst_terms != nullptr;
  for_row_ranges(by_src.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    HeadBuffer<T, kHeads> ones_buffer(H), weight_buffer(H), dot_buffer(H);
    std::vector<T> row_drop;
    std::vector<std::uint64_t> firsts;
    T* dots = dot_buffer.data();
    T* ones = ones_buffer.data();
    T* w = weight_buffer.data();
    for (int h = 0; h < H; ++h) ones[h] = T(1);
    const EdgeId edge_end = by_src.indptr[std::size_t(row_end)];
    for (std::int64_t j = row_begin; j < row_end; ++j) {
      T* gz = grad_z ? grad_z + j * W : nullptr;
      T* gss = grad_s_src ? grad_s_src + j * H : nullptr;
      const T* zj = z + j * W;
      const T* ss = s_src + j * H;
      const EdgeId row_first = by_src.indptr[std::size_t(j)];
      const EdgeId row_last = by_src.indptr[std::size_t(j) + 1];
      // The row's dropout masks in one vectorised call: one counter run per
      // out-edge, at its edge id.
      if (dropout.active() && row_last > row_first) {
        const std::size_t count = std::size_t(row_last - row_first);
        firsts.resize(std::max(firsts.size(), count));
        row_drop.resize(std::max(row_drop.size(), count * std::size_t(H)));
        for (std::size_t c = 0; c < count; ++c) {
          firsts[c] = std::uint64_t(out_ids[row_first + EdgeId(c)] * H);
        }
        dropout.scales_at(firsts.data(), int(count), H, row_drop.data());
      }
      if constexpr (kHeads == kLanes && kChannels == kLanes) {
        // 8 heads x 8 features: z_j, and the row's sums for grad_z_j and
        // grad_s_src_j, stay in registers across j's out-edges; per edge only
        // the destination's gradient row is loaded.
        using V = Lanes<T>;
        V zv[kLanes], gacc[kLanes] = {}, gv[kLanes], prod[kLanes];
        for (int h = 0; h < H; ++h) zv[h] = load_heads(zj + h * F);
        const V ssv = load_heads(ss);
        V gss_acc = {};
        for (EdgeId p = row_first; p < row_last; ++p) {
          if (p + kPrefetchDistance < edge_end) {
            const std::int64_t ahead = by_src.indices[std::size_t(p + kPrefetchDistance)];
            const EdgeId ahead_edge = out_ids[p + kPrefetchDistance];
            prefetch_bytes(grad_out + ahead * W, std::size_t(W) * sizeof(T));
            prefetch_bytes(alpha + ahead_edge * H, std::size_t(H) * sizeof(T));
            if (need_scores)
              prefetch_bytes(dst_terms + ahead * 2 * H, std::size_t(2 * H) * sizeof(T));
          }
          const std::int64_t i = by_src.indices[std::size_t(p)];
          const EdgeId e = out_ids[p];
          const T* gi = grad_out + i * W;
          const V a = load_heads(alpha + e * H);
          const V dr = load_heads(dropout.active() ? row_drop.data() + (p - row_first) * H : ones);
          const V wv = a * dr;  // read before the score gradient overwrites alpha
          for (int h = 0; h < H; ++h) gv[h] = load_heads(gi + h * F);
          if (need_scores) {
            for (int h = 0; h < H; ++h) prod[h] = gv[h] * zv[h];
            lane_sums_8x8<T>(prod, dots);
            const T* terms = dst_terms + i * 2 * H;
            V d = a * (load_heads(dots) * dr - load_heads(terms + H));
            d = load_heads(terms) + ssv > T(0) ? d : d * negative_slope;
            store_heads(edge_work + e * H, d);
            gss_acc += d;
          }
          for (int h = 0; h < H; ++h) gacc[h] += wv[h] * gv[h];
        }
        if (gz) {
          for (int h = 0; h < H; ++h) store_heads(gz + h * F, load_heads(gz + h * F) + gacc[h]);
        }
        if (gss) store_heads(gss, load_heads(gss) + gss_acc);
        continue;
      }
      for (EdgeId p = row_first; p < row_last; ++p) {
        if (p + kPrefetchDistance < edge_end) {
          const std::int64_t ahead = by_src.indices[std::size_t(p + kPrefetchDistance)];
          const EdgeId ahead_edge = out_ids[p + kPrefetchDistance];
          prefetch_bytes(grad_out + ahead * W, std::size_t(W) * sizeof(T));
          prefetch_bytes(alpha + ahead_edge * H, std::size_t(H) * sizeof(T));
          if (need_scores) {
            prefetch_bytes(dst_terms + ahead * 2 * H, std::size_t(2 * H) * sizeof(T));
            prefetch_bytes(edge_work + ahead_edge * H, std::size_t(H) * sizeof(T));
          }
        }
        const std::int64_t i = by_src.indices[std::size_t(p)];
        const EdgeId e = out_ids[p];
        const T* gi = grad_out + i * W;
        const T* ae = alpha + e * H;
        const T* drop = dropout.active() ? row_drop.data() + (p - row_first) * H : ones;
        if constexpr (kHeads == kLanes) {
          using V = Lanes<T>;
          const V a = load_heads(ae), dr = load_heads(drop);
          // Read alpha before the score gradients, which may overwrite it.
          const V wv = a * dr;
          if (need_scores) {
            for (int h = 0; h < H; ++h) dots[h] = dot<kChannels>(gi + h * F, zj + h * F, F);
            const T* terms = dst_terms + i * 2 * H;
            V d = a * (load_heads(dots) * dr - load_heads(terms + H));
            const V raw = load_heads(terms) + load_heads(ss);
            d = raw > T(0) ? d : d * negative_slope;
            store_heads(edge_work + e * H, d);
            if (gss) store_heads(gss, load_heads(gss) + d);
          }
          if (gz) {
            for (int h = 0; h < H; ++h) axpy<kChannels>(wv[h], gi + h * F, gz + h * F, F);
          }
          continue;
        }
        // Read alpha before the score gradients, which may overwrite it.
        for (int h = 0; h < H; ++h) w[h] = ae[h] * drop[h];
        if (need_scores) {
          const T* sd = dst_terms + i * 2 * H;
          const T* ci = sd + H;
          T* we = edge_work + e * H;
          for (int h = 0; h < H; ++h) dots[h] = dot<kChannels>(gi + h * F, zj + h * F, F);
          for (int h = 0; h < H; ++h) {
            const T d = ae[h] * (dots[h] * drop[h] - ci[h]);
            we[h] = sd[h] + ss[h] > T(0) ? d : d * negative_slope;
          }
          if (gss) {
            for (int h = 0; h < H; ++h) gss[h] += we[h];
          }
        }
        if (gz) {
          for (int h = 0; h < H; ++h) axpy<kChannels>(w[h], gi + h * F, gz + h * F, F);
        }
      }
    }
  });
}

// grad_s_dst_i += sum_e d score_e over the in-edges of i: destination-parallel
// over the in-CSR, reading only the stored score gradients.
template <class T>
void attention_backward_destinations(const Graph& graph, int heads, const T* edge_work,
                                     T* grad_s_dst) {
  const int H = heads;
  const Csr& in = graph.in();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      T* gsd = grad_s_dst + i * H;
      for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
        const T* we = edge_work + e * H;
        for (int h = 0; h < H; ++h) gsd[h] += we[h];
      }
    }
  });
}

}  // namespace

template <class T>
void gat_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                            std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                            const KeyedDropout<T>& dropout, std::span<const T> alpha,
                            std::span<const T> out, std::span<const T> grad_out,
                            std::span<T> grad_z, std::span<T> grad_s_src, std::span<T> grad_s_dst,
                            std::span<T> edge_work) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t eh = std::size_t(graph.num_edges() * H);
  check_sizes("z", z.size(), std::size_t(n * W));
  check_sizes("s_src", s_src.size(), std::size_t(n * H));
  check_sizes("s_dst", s_dst.size(), std::size_t(n * H));
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), std::size_t(n * W));
  check_sizes("grad_out", grad_out.size(), std::size_t(n * W));
  if (!grad_z.empty()) check_sizes("grad_z", grad_z.size(), std::size_t(n * W));
  if (!grad_s_src.empty()) check_sizes("grad_s_src", grad_s_src.size(), std::size_t(n * H));
  if (!grad_s_dst.empty()) check_sizes("grad_s_dst", grad_s_dst.size(), std::size_t(n * H));
  const bool need_scores = !grad_s_src.empty() || !grad_s_dst.empty();
  if (need_scores) check_sizes("edge_work", edge_work.size(), eh);
  if (!need_scores && grad_z.empty()) return;

  // What the source walk needs of each destination, packed into one row so
  // that an edge costs one cache line for it: s_dst[i] and <g_i, out_i>.
  Tensor<T> dst_terms;
  if (need_scores) {
    dst_terms = Tensor<T>(std::size_t(n), std::size_t(2 * H));
#pragma omp parallel for schedule(guided)
    for (std::int64_t i = 0; i < n; ++i) {
      const T* gi = grad_out.data() + i * W;
      const T* oi = out.data() + i * W;
      T* terms = dst_terms.data() + i * 2 * H;
      for (int h = 0; h < H; ++h) {
        terms[h] = s_dst[std::size_t(i * H + h)];
        terms[H + h] = dot<0>(gi + h * F, oi + h * F, F);
      }
    }
  }
  auto data_or_null = [](std::span<T> s) { return s.empty() ? nullptr : s.data(); };
  dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    attention_backward_sources<T, kHeads, kChannels>(
        graph, shape, z.data(), s_src.data(), negative_slope, dropout, alpha.data(),
        need_scores ? dst_terms.data() : nullptr, grad_out.data(), data_or_null(grad_z),
        data_or_null(grad_s_src), need_scores ? edge_work.data() : nullptr);
  });
  if (!grad_s_dst.empty()) {
    attention_backward_destinations<T>(graph, H, edge_work.data(), grad_s_dst.data());
  }
}

#define HEED_INSTANTIATE(T)                                                                      \
  template void gat_node_scores<T>(HeadShape, std::span<const T>, std::span<const T>,            \
                                   std::span<T>);                                                \
  template void gat_node_scores_backward<T>(HeadShape, std::span<const T>, std::span<const T>,   \
                                            std::span<const T>, std::span<T>, std::span<T>);     \
  template void gat_node_score_pair<T>(HeadShape, std::span<const T>, std::span<const T>,        \
                                       std::span<const T>, std::span<T>, std::span<T>);          \
  template void gat_node_score_pair_backward<T>(                                                 \
      HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, std::span<const T>, \
      std::span<const T>, std::span<T>, std::span<T>, std::span<T>);                             \
  template void gat_attention_forward<T>(const Graph&, HeadShape, std::span<const T>,            \
                                         std::span<const T>, std::span<const T>, T,              \
                                         const KeyedDropout<T>&, std::span<T>, std::span<T>);    \
  template void gat_attention_backward<T>(                                                       \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, T,    \
      const KeyedDropout<T>&, std::span<const T>, std::span<const T>, std::span<const T>,        \
      std::span<T>, std::span<T>, std::span<T>, std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
