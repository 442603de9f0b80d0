#pragma once
// The edge softmax every attention kernel shares, forward and backward, as
// one walk over a score functor (DGL's kernel headers take an operator the
// same way). For each destination i and head h, over the in-edges e = j -> i:
//
//   alpha_e = exp(s_e - max) / sum exp(s_e - max),  out_i = sum_e drop_e alpha_e v_j
//
// and, with g = grad_out, c_i = <g_i, out_i> and d alpha_e = drop_e <g_i, v_j>,
// the gradient of the raw score  ds_e = alpha_e (d alpha_e - c_i)  and of the
// values  grad_v_j += drop_e alpha_e g_i.  Only E x H values per edge exist.
// The score functor says what s_e is and where its gradient goes:
//
//   struct Score {
//     struct Row; Row row(i) const;                    // per-destination state
//     void scores(const Row&, j, e, T* s) const;       // H raw scores of edge e
//     Lanes<T> lanes(const Row&, j, e) const;          // optional, H == kLanes
//     void prefetch(j) const;                          // what scores() reads of j
//                                    // (prefetch functions always_inline: see
//                                    // prefetch_bytes)
//     int destination_terms() const;                   // extra values per node that
//     void fill_destination_terms(i, T* row) const;    // the source walk reads of i
//     struct SourceRow; SourceRow source_row(j, T* partial);
//     void source_edge(SourceRow&, i, e, const T* terms_i, const T* ds, T* work_e);
//     Lanes<T> source_lanes(SourceRow&, i, e, const T* terms_i, const Lanes<T>& ds,
//                           T* work_e);                // optional, H == kLanes
//     void source_edge_and_value(SourceRow&, i, e, terms_i, ds, w, g_i, work_e);
//                                    // optional: source_edge that also adds
//                                    // w g_i to its own value gradient row
//     static constexpr bool kReadsValues;  // optional: scores() reads v_j
//     void end_source_row(SourceRow&, const Lanes<T>& sum);  // sum of source_lanes
//                                                      // (zeros on the scalar path)
//     void prefetch_in_source_pass(i) const;
//     bool destination_pass() const;
//     struct DestinationRow; DestinationRow destination_row(i);
//     void destination_edge(DestinationRow&, j, e, const T* work_e);
//     void end_destination_row(DestinationRow&);
//     void prefetch_in_destination_pass(j) const;
//     int partial_width() const;                       // 0, or per-block sums, then
//     void add_partials(const T* partials, std::int64_t blocks);
//   };
//
// Parallel strategy, for every score:
// - forward: destination-parallel over the in-CSR, rows in ranges of about
//   equal edge counts; a thread writes only its rows of out and their edges
//   of alpha;
// - backward: one walk of the out-CSR by source (a thread owns its rows of
//   grad_v and the score's source-side gradients, and writes the per-edge
//   values the destination pass needs, by edge id, into work), then a walk of
//   the in-CSR by destination (a thread owns its rows of the destination-side
//   gradients). No atomics; every sum runs in a fixed order, so the result
//   does not depend on the thread count. Sums over all rows (a shared
//   attention vector's gradient) go through fixed blocks of source rows,
//   fixed by the graph, added block by block.
// With H == kLanes heads an edge's per-head values are one vector; with
// kLanes heads of kLanes features a source row's sums stay in registers
// (the walk keeps them: a functor's member would be reloaded after every
// store through a T*, which may alias it).
#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "feature_loops.hpp"
#include "heed/graph/graph.hpp"
#include "heed/kernels/exp.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/tensor/random.hpp"
#include "heed/tensor/tensor.hpp"
#include "row_dropout.hpp"
#include "row_ranges.hpp"

namespace heed::kernels::edge_softmax {

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

// Vector helpers: a Lanes<T> holds one value per head.
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

// Calls body.template operator()<kHeads, kChannels>() with compile-time
// constants for 8 and 1 heads and the common widths (0: a run-time value).
template <class Body>
void dispatch_shape(HeadShape shape, Body&& body) {
  if (shape.heads == kLanes) {
    dispatch_width(shape.channels,
                   [&]<int kChannels>() { body.template operator()<kLanes, kChannels>(); });
  } else if (shape.heads == 1) {
    dispatch_width(shape.channels,
                   [&]<int kChannels>() { body.template operator()<1, kChannels>(); });
  } else {
    dispatch_width(shape.channels,
                   [&]<int kChannels>() { body.template operator()<0, kChannels>(); });
  }
}

// Whether the score reads the rows it aggregates (Score::kReadsValues).
template <class Score>
constexpr bool score_reads_values() {
  if constexpr (requires { Score::kReadsValues; }) {
    return Score::kReadsValues;
  } else {
    return false;
  }
}

// An edge's H == kLanes raw scores as one vector.
template <class T, class Score, class Row>
[[gnu::always_inline]] inline Lanes<T> score_lanes(const Score& score, const Row& row,
                                                   std::int64_t j, EdgeId e) {
  if constexpr (requires { score.lanes(row, j, e); }) {
    return score.lanes(row, j, e);
  } else {
    T s[kLanes];
    score.scores(row, j, e, s);
    return load_heads(s);
  }
}

// One destination row of the forward pass with H == kLanes heads, every
// per-head step a single vector operation; the same arithmetic, in the same
// order per head, as the scalar path.
template <class T, int kChannels, class Score>
void forward_row_lanes(const Score& score, std::int64_t i, EdgeId begin, EdgeId end,
                       EdgeId edge_end, const NodeId* indices, const T* values,
                       const KeyedDropout<T>& dropout, const T* row_drop, T* alpha, T* oi,
                       int runtime_f) {
  using V = Lanes<T>;
  constexpr int H = kLanes;
  const int F = kChannels > 0 ? kChannels : runtime_f, W = H * F;
  const auto row = score.row(i);
  V m = V{} - std::numeric_limits<T>::infinity();
  for (EdgeId e = begin; e < end; ++e) {
    if (e + kPrefetchDistance < edge_end) score.prefetch(indices[e + kPrefetchDistance]);
    const V x = score_lanes<T>(score, row, indices[e], e);
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
      prefetch_bytes(values + std::int64_t(indices[e + kPrefetchDistance]) * W,
                     std::size_t(W) * sizeof(T));
    }
    const T* vj = values + std::int64_t(indices[e]) * W;
    if constexpr (kChannels == kLanes) {
      // kLanes heads x kLanes features: the row's output stays in registers.
      for (int h = 0; h < H; ++h) acc[h] += p[h] * load_heads(vj + h * F);
    } else {
      for (int h = 0; h < H; ++h) axpy<kChannels>(p[h], vj + h * F, oi + h * F, F);
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

/// alpha (E x H, before dropout) and out (N x W) from the score and the
/// values (N x W). A node without in-edges gets out = 0.
template <class T, int kHeads, int kChannels, class Score>
void forward(const Graph& graph, HeadShape shape, const Score& score, const T* values,
             const KeyedDropout<T>& dropout, T* alpha, T* out) {
  const int H = kHeads > 0 ? kHeads : shape.heads;
  const int F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  const Csr& in = graph.in();
  const NodeId* indices = in.indices.data();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    HeadBuffer<T, kHeads> max_buffer(H), sum_buffer(H), weight_buffer(H);
    RowDropout<T> masks;
    T* m = max_buffer.data();
    T* sum = sum_buffer.data();
    T* w = weight_buffer.data();
    const EdgeId edge_end = in.indptr[std::size_t(row_end)];
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
      T* oi = out + i * W;
      std::fill(oi, oi + W, T(0));
      if (begin == end) continue;
      const T* row_drop =
          dropout.active() ? masks.destination_row(dropout, begin, end, H) : nullptr;
      if constexpr (kHeads == kLanes) {
        forward_row_lanes<T, kChannels>(score, i, begin, end, edge_end, indices, values, dropout,
                                        row_drop, alpha, oi, F);
        continue;
      }
      const auto row = score.row(i);
      for (int h = 0; h < H; ++h) m[h] = -std::numeric_limits<T>::infinity();
      for (EdgeId e = begin; e < end; ++e) {
        if (e + kPrefetchDistance < edge_end) score.prefetch(indices[e + kPrefetchDistance]);
        T* ae = alpha + e * H;
        score.scores(row, indices[e], e, ae);
        for (int h = 0; h < H; ++h) m[h] = m[h] > ae[h] ? m[h] : ae[h];
      }
      // exp over the row's scores as one flat loop, which vectorises.
      for (EdgeId e = begin; e < end; ++e) {
        T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) ae[h] -= m[h];
      }
      exp_in_place(alpha + begin * H, (end - begin) * H);
      for (int h = 0; h < H; ++h) sum[h] = T(0);
      for (EdgeId e = begin; e < end; ++e) {
        const T* ae = alpha + e * H;
        for (int h = 0; h < H; ++h) {
          sum[h] += ae[h];
          w[h] = ae[h];
        }
        if (dropout.active()) {
          const T* drop = row_drop + (e - begin) * H;
          for (int h = 0; h < H; ++h) w[h] *= drop[h];
        }
        // A score that reads the values (GATv2's x_src) has just brought
        // the row's into cache.
        if (!score_reads_values<Score>() && e + kPrefetchDistance < edge_end) {
          prefetch_bytes(values + std::int64_t(indices[e + kPrefetchDistance]) * W,
                         std::size_t(W) * sizeof(T));
        }
        const T* vj = values + std::int64_t(indices[e]) * W;
        // No branch on dropped heads (see spmm_accumulate).
        for (int h = 0; h < H; ++h) axpy<kChannels>(w[h], vj + h * F, oi + h * F, F);
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

// Hands an edge's H == kLanes score gradients to the functor: as one vector
// where it takes one (returning what the row sums), else through `buffer`.
template <class T, class Score, class Row>
[[gnu::always_inline]] inline Lanes<T> source_lanes(Score& score, Row& row, std::int64_t i,
                                                    EdgeId e, const T* terms, const Lanes<T>& ds,
                                                    T* buffer, T* work_e) {
  if constexpr (requires { score.source_lanes(row, i, e, terms, ds, work_e); }) {
    return score.source_lanes(row, i, e, terms, ds, work_e);
  } else {
    store_heads(buffer, ds);
    score.source_edge(row, i, e, terms, buffer, work_e);
    return Lanes<T>{};
  }
}

// Prefetches, for the out-edge kPrefetchDistance ahead of p in the source
// walk, what that edge will read: the destination's gradient row, alpha,
// the destination terms and what the score reads of the destination.
template <class T, class Score>
[[gnu::always_inline]] inline void prefetch_source_edge(const Csr& by_src, const EdgeId* out_ids,
                                                        EdgeId p, EdgeId edge_end, int W, int H,
                                                        int S, const T* grad_out, const T* alpha,
                                                        const T* dst_terms, const Score& score) {
  if (p + kPrefetchDistance >= edge_end) return;
  const std::int64_t ahead = by_src.indices[std::size_t(p + kPrefetchDistance)];
  const EdgeId ahead_edge = out_ids[p + kPrefetchDistance];
  prefetch_bytes(grad_out + ahead * W, std::size_t(W) * sizeof(T));
  prefetch_bytes(alpha + ahead_edge * H, std::size_t(H) * sizeof(T));
  if (dst_terms != nullptr) {
    prefetch_bytes(dst_terms + ahead * S, std::size_t(S) * sizeof(T));
    score.prefetch_in_source_pass(ahead);
  }
}

// Source rows per block of the source walk when the score sums over all
// rows: fixed by the graph, not the thread count.
constexpr std::int64_t kBlockWork = 1 << 14;

/// The backward pass: accumulates (+=) grad_values (may be null), and, when
/// `work` is set (E x H scratch; it may be alpha's own buffer, which is then
/// overwritten), hands the score gradients to the functor.
template <class T, int kHeads, int kChannels, class Score>
void backward(const Graph& graph, HeadShape shape, Score& score, const T* values,
              const KeyedDropout<T>& dropout, const T* alpha, const T* out, const T* grad_out,
              T* grad_values, T* work) {
  const int H = kHeads > 0 ? kHeads : shape.heads;
  const int F = kChannels > 0 ? kChannels : shape.channels, W = H * F;
  const std::int64_t n = graph.num_nodes();
  const bool need_scores = work != nullptr;
  if (!need_scores && grad_values == nullptr) return;

  // What the source walk needs of each destination, packed into one row so
  // that an edge costs one cache line for it: the score's own terms, then
  // c_i = <g_i, out_i> (sum_e alpha_e d alpha_e, so the softmax backward
  // needs no pass over a row's edges first).
  const int X = need_scores ? score.destination_terms() : 0;
  const int S = X + H;
  // A Tensor, not a vector: large ones are mapped in huge pages and not
  // zeroed twice (at N = 100k a vector's fresh 4 KiB pages cost more than
  // the walk).
  Tensor<T> terms;
  if (need_scores) {
    terms = Tensor<T>(std::size_t(n), std::size_t(S));
#pragma omp parallel for schedule(guided)
    for (std::int64_t i = 0; i < n; ++i) {
      T* t = terms.data() + i * S;
      if (X > 0) score.fill_destination_terms(i, t);
      for (int h = 0; h < H; ++h)
        t[X + h] = dot<0>(grad_out + i * W + h * F, out + i * W + h * F, F);
    }
  }
  const T* dst_terms = terms.data();

  const Csr& by_src = graph.out();
  const EdgeId* out_ids = graph.out_edge_ids().data();
  auto source_rows = [&](std::int64_t row_begin, std::int64_t row_end, T* partial) {
    HeadBuffer<T, kHeads> ones_buffer(H), weight_buffer(H), dot_buffer(H), ds_buffer(H);
    RowDropout<T> masks;
    T* dots = dot_buffer.data();
    T* ones = ones_buffer.data();
    T* w = weight_buffer.data();
    T* ds = ds_buffer.data();
    for (int h = 0; h < H; ++h) ones[h] = T(1);
    const EdgeId edge_end = by_src.indptr[std::size_t(row_end)];
    for (std::int64_t j = row_begin; j < row_end; ++j) {
      T* gv = grad_values ? grad_values + j * W : nullptr;
      const T* vj = values + j * W;
      const EdgeId row_first = by_src.indptr[std::size_t(j)];
      const EdgeId row_last = by_src.indptr[std::size_t(j) + 1];
      const T* row_drop = dropout.active() && row_last > row_first
                              ? masks.source_row(dropout, out_ids, row_first, row_last, H)
                              : nullptr;
      auto row = score.source_row(j, partial);
      Lanes<T> score_sum = {};
      if constexpr (kHeads == kLanes && kChannels == kLanes) {
        // kLanes heads x kLanes features: v_j, and the row's sums for
        // grad_v_j, stay in registers across j's out-edges; per edge only the
        // destination's gradient row is loaded.
        using V = Lanes<T>;
        V zv[kLanes], gacc[kLanes] = {}, gvec[kLanes], prod[kLanes];
        for (int h = 0; h < H; ++h) zv[h] = load_heads(vj + h * F);
        for (EdgeId p = row_first; p < row_last; ++p) {
          prefetch_source_edge(by_src, out_ids, p, edge_end, W, H, S, grad_out, alpha,
                               need_scores ? dst_terms : nullptr, score);
          const std::int64_t i = by_src.indices[std::size_t(p)];
          const EdgeId e = out_ids[p];
          const T* gi = grad_out + i * W;
          const V a = load_heads(alpha + e * H);
          const V dr = load_heads(dropout.active() ? row_drop + (p - row_first) * H : ones);
          const V wv = a * dr;  // read before the score gradient overwrites alpha
          for (int h = 0; h < H; ++h) gvec[h] = load_heads(gi + h * F);
          if (need_scores) {
            for (int h = 0; h < H; ++h) prod[h] = gvec[h] * zv[h];
            lane_sums_8x8<T>(prod, dots);
            const T* t = dst_terms + i * S;
            const V d = a * (load_heads(dots) * dr - load_heads(t + X));
            score_sum += source_lanes<T>(score, row, i, e, t, d, ds, work + e * H);
          }
          for (int h = 0; h < H; ++h) gacc[h] += wv[h] * gvec[h];
        }
        if (gv) {
          for (int h = 0; h < H; ++h) store_heads(gv + h * F, load_heads(gv + h * F) + gacc[h]);
        }
        score.end_source_row(row, score_sum);
        continue;
      }
      for (EdgeId p = row_first; p < row_last; ++p) {
        prefetch_source_edge(by_src, out_ids, p, edge_end, W, H, S, grad_out, alpha,
                             need_scores ? dst_terms : nullptr, score);
        if (need_scores && p + kPrefetchDistance < edge_end) {
          prefetch_bytes(work + out_ids[p + kPrefetchDistance] * H, std::size_t(H) * sizeof(T));
        }
        const std::int64_t i = by_src.indices[std::size_t(p)];
        const EdgeId e = out_ids[p];
        const T* gi = grad_out + i * W;
        const T* ae = alpha + e * H;
        const T* drop = dropout.active() ? row_drop + (p - row_first) * H : ones;
        if constexpr (kHeads == kLanes) {
          using V = Lanes<T>;
          const V a = load_heads(ae), dr = load_heads(drop);
          // Read alpha before the score gradients, which may overwrite it.
          const V wv = a * dr;
          if (need_scores) {
            for (int h = 0; h < H; ++h) dots[h] = dot<kChannels>(gi + h * F, vj + h * F, F);
            const T* t = dst_terms + i * S;
            const V d = a * (load_heads(dots) * dr - load_heads(t + X));
            score_sum += source_lanes<T>(score, row, i, e, t, d, ds, work + e * H);
          }
          if (gv) {
            for (int h = 0; h < H; ++h) axpy<kChannels>(wv[h], gi + h * F, gv + h * F, F);
          }
          continue;
        }
        // Read alpha before the score gradients, which may overwrite it.
        for (int h = 0; h < H; ++h) w[h] = ae[h] * drop[h];
        if (need_scores) {
          const T* t = dst_terms + i * S;
          for (int h = 0; h < H; ++h) dots[h] = dot<kChannels>(gi + h * F, vj + h * F, F);
          for (int h = 0; h < H; ++h) ds[h] = ae[h] * (dots[h] * drop[h] - t[X + h]);
          if constexpr (requires { score.source_edge_and_value(row, i, e, t, ds, w, gi, work); }) {
            // The score's pass over j's row takes the value gradient too.
            score.source_edge_and_value(row, i, e, t, ds, w, gi, work + e * H);
            continue;
          } else {
            score.source_edge(row, i, e, t, ds, work + e * H);
          }
        }
        if (gv) {
          for (int h = 0; h < H; ++h) axpy<kChannels>(w[h], gi + h * F, gv + h * F, F);
        }
      }
      score.end_source_row(row, score_sum);
    }
  };
  const int partial_width = need_scores ? score.partial_width() : 0;
  if (partial_width == 0) {
    for_row_ranges(by_src.indptr,
                   [&](std::int64_t b, std::int64_t e) { source_rows(b, e, nullptr); });
  } else {
    const std::int64_t rows = by_src.rows();
    const std::int64_t blocks =
        std::max<std::int64_t>(1, (by_src.nnz() + rows + kBlockWork - 1) / kBlockWork);
    const std::vector<std::int64_t> bounds = partition_rows_by_edges(by_src.indptr, int(blocks));
    std::vector<T> partials(std::size_t(blocks * partial_width), T(0));
#pragma omp parallel for schedule(dynamic, 1)
    for (std::int64_t b = 0; b < blocks; ++b) {
      source_rows(bounds[std::size_t(b)], bounds[std::size_t(b) + 1],
                  partials.data() + b * partial_width);
    }
    score.add_partials(partials.data(), blocks);
  }
  if (!need_scores || !score.destination_pass()) return;

  const Csr& in = graph.in();
  const NodeId* indices = in.indices.data();
  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    const EdgeId edge_end = in.indptr[std::size_t(row_end)];
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      auto row = score.destination_row(i);
      for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
        if (e + kPrefetchDistance < edge_end) {
          score.prefetch_in_destination_pass(indices[e + kPrefetchDistance]);
        }
        score.destination_edge(row, indices[e], e, work + e * H);
      }
      score.end_destination_row(row);
    }
  });
}

/// The parts of a score functor most scores leave empty.
template <class T>
struct ScoreDefaults {
  int destination_terms() const { return 0; }
  void fill_destination_terms(std::int64_t, T*) const {}
  void prefetch_in_source_pass(std::int64_t) const {}
  void prefetch_in_destination_pass(std::int64_t) const {}
  int partial_width() const { return 0; }
  void add_partials(const T*, std::int64_t) {}
};

}  // namespace heed::kernels::edge_softmax
