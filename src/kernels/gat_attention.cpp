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

// GAT's score from node terms: s_e = LeakyReLU(s_dst[i] + s_src[j]); per
// edge only an add, a LeakyReLU and (in the walk) an exp. Its gradient,
// d raw = ds LeakyReLU'(s_dst[i] + s_src[j]), goes to s_src by source and to
// s_dst by destination; s_dst[i] travels with <g_i, out_i> in the
// destination terms, one cache line per edge.
template <class T, int kHeads>
struct GatScore : edge_softmax::ScoreDefaults<T> {
  int heads;
  const T* s_src;
  const T* s_dst;
  T slope;
  T* grad_s_src = nullptr;  // may be null
  T* grad_s_dst = nullptr;  // may be null

  int H() const { return kHeads > 0 ? kHeads : heads; }

  struct Row {
    const T* sd;
  };
  Row row(std::int64_t i) const { return {s_dst + i * H()}; }
  void scores(const Row& r, std::int64_t j, EdgeId, T* s) const {
    const T* ss = s_src + j * H();
    for (int h = 0; h < H(); ++h) {
      const T x = r.sd[h] + ss[h];
      s[h] = x > T(0) ? x : x * slope;
    }
  }
  [[gnu::always_inline]] Lanes<T> lanes(const Row& r, std::int64_t j, EdgeId) const {
    using V = Lanes<T>;
    const V x = edge_softmax::load_heads(r.sd) + edge_softmax::load_heads(s_src + j * kLanes);
    return x > T(0) ? x : x * slope;
  }
  void prefetch(std::int64_t j) const {
    prefetch_bytes(s_src + j * H(), std::size_t(H()) * sizeof(T));
  }

  int destination_terms() const { return H(); }
  void fill_destination_terms(std::int64_t i, T* t) const {
    for (int h = 0; h < H(); ++h) t[h] = s_dst[i * H() + h];
  }
  struct SourceRow {
    const T* ss;
    T* gss;
  };
  SourceRow source_row(std::int64_t j, T*) {
    return {s_src + j * H(), grad_s_src ? grad_s_src + j * H() : nullptr};
  }
  void source_edge(SourceRow& r, std::int64_t, EdgeId, const T* t, const T* ds, T* we) {
    for (int h = 0; h < H(); ++h) we[h] = t[h] + r.ss[h] > T(0) ? ds[h] : ds[h] * slope;
    if (r.gss) {
      for (int h = 0; h < H(); ++h) r.gss[h] += we[h];
    }
  }
  [[gnu::always_inline]] Lanes<T> source_lanes(SourceRow& r, std::int64_t, EdgeId, const T* t,
                                               const Lanes<T>& ds, T* we) {
    using V = Lanes<T>;
    const V raw = edge_softmax::load_heads(t) + edge_softmax::load_heads(r.ss);
    const V d = raw > T(0) ? ds : ds * slope;
    edge_softmax::store_heads(we, d);
    return d;
  }
  [[gnu::always_inline]] void end_source_row(SourceRow& r, const Lanes<T>& sum) {
    if constexpr (kHeads == kLanes) {
      if (r.gss) edge_softmax::store_heads(r.gss, edge_softmax::load_heads(r.gss) + sum);
    }
  }
  bool destination_pass() const { return grad_s_dst != nullptr; }
  struct DestinationRow {
    T* gsd;
  };
  DestinationRow destination_row(std::int64_t i) { return {grad_s_dst + i * H()}; }
  void destination_edge(DestinationRow& r, std::int64_t, EdgeId, const T* we) {
    for (int h = 0; h < H(); ++h) r.gsd[h] += we[h];
  }
  void end_destination_row(DestinationRow&) {}
};

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
  edge_softmax::dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    const GatScore<T, kHeads> score{{}, H, s_src.data(), s_dst.data(), negative_slope};
    edge_softmax::forward<T, kHeads, kChannels>(graph, shape, score, z.data(), dropout,
                                                alpha.data(), out.data());
  });
}

template <class T>
void gat_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                            std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                            const KeyedDropout<T>& dropout, std::span<const T> alpha,
                            std::span<const T> out, std::span<const T> grad_out,
                            std::span<T> grad_z, std::span<T> grad_s_src, std::span<T> grad_s_dst,
                            std::span<T> edge_work) {
  const int H = shape.heads, W = shape.width();
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
  auto data_or_null = [](std::span<T> s) { return s.empty() ? nullptr : s.data(); };
  edge_softmax::dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    GatScore<T, kHeads> score{{},
                              H,
                              s_src.data(),
                              s_dst.data(),
                              negative_slope,
                              data_or_null(grad_s_src),
                              data_or_null(grad_s_dst)};
    edge_softmax::backward<T, kHeads, kChannels>(
        graph, shape, score, z.data(), dropout, alpha.data(), out.data(), grad_out.data(),
        data_or_null(grad_z), need_scores ? edge_work.data() : nullptr);
  });
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
