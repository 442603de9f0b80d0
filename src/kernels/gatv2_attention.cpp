#include "heed/kernels/gatv2_attention.hpp"

#include <algorithm>
#include <vector>

#include "edge_softmax.hpp"
#include "feature_loops.hpp"
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

// GATv2's score, s_e = a . LeakyReLU(x_dst_i + x_src_j (+ x_edge_e)) per head:
// it does not split into node terms, so the sum is formed per edge in
// registers and only E x H values are stored. Its gradient reaches x_src and
// the shared attention vector by source (the latter through fixed blocks of
// rows), and x_dst and x_edge by destination.
// With kLanes heads of kLanes features (the register-blocked shape) an edge's
// eight heads are eight vectors: the scores come out of one transpose-and-add
// (lane_sums_8x8) instead of eight horizontal sums, and a row's gradient sums
// (x_src's and the attention vector's by source, x_dst's by destination) stay
// in registers across its edges and are stored once per row.
template <class T, int kHeads, int kChannels, bool kEdges>
struct Gatv2Score : edge_softmax::ScoreDefaults<T> {
  using V = Lanes<T>;
  static constexpr bool kBlocked = kHeads == kLanes && kChannels == kLanes;
  HeadShape shape;
  const T* x_src;
  const T* x_dst;
  const T* att;
  const T* x_edge;  // may be null
  T slope;
  T* grad_x_src = nullptr;
  T* grad_x_dst = nullptr;
  T* grad_att = nullptr;
  T* grad_x_edge = nullptr;

  int F() const { return kChannels > 0 ? kChannels : shape.channels; }
  int W() const { return shape.heads * F(); }
  const T* edge_row(EdgeId e) const { return x_edge ? x_edge + e * W() : nullptr; }

  // m = x_dst + x_src (+ x_edge) for head h of the blocked shape.
  [[gnu::always_inline]] V blocked_argument(const T* xd, const T* xs, const T* xe, int h) const {
    V m = edge_softmax::load_heads(xd + h * kLanes) + edge_softmax::load_heads(xs + h * kLanes);
    if constexpr (kEdges) m += edge_softmax::load_heads(xe + h * kLanes);
    return m;
  }
  // LeakyReLU'(m) a, the factor every input's gradient shares.
  [[gnu::always_inline]] V blocked_slope_times_att(const V& m, int h) const {
    const V a = edge_softmax::load_heads(att + h * kLanes);
    return m > T(0) ? a : a * slope;
  }

  struct Row {
    const T* xd;
  };
  Row row(std::int64_t i) const { return {x_dst + i * W()}; }
  void scores(const Row& r, std::int64_t j, EdgeId e, T* s) const {
    const int f = F();
    const T* xs = x_src + j * W();
    const T* xe = edge_row(e);
    for (int h = 0; h < shape.heads; ++h) {
      s[h] = leaky_dot<kChannels, kEdges>(att + h * f, r.xd + h * f, xs + h * f,
                                          xe ? xe + h * f : nullptr, slope, f);
    }
  }
  [[gnu::always_inline]] V lanes(const Row& r, std::int64_t j, EdgeId e) const requires kBlocked {
    const T* xs = x_src + j * W();
    const T* xe = edge_row(e);
    V products[kLanes];
    for (int h = 0; h < kLanes; ++h) {
      const V m = blocked_argument(r.xd, xs, xe, h);
      products[h] = edge_softmax::load_heads(att + h * kLanes) * (m > T(0) ? m : m * slope);
    }
    T s[kLanes];
    lane_sums_8x8<T>(products, s);
    return edge_softmax::load_heads(s);
  }
  void prefetch(std::int64_t j) const {
    prefetch_bytes(x_src + j * W(), std::size_t(W()) * sizeof(T));
  }

  struct SourceRow {
    const T* xs;
    T* gxs;
    T* partial;
    // The blocked shape's sums over the row's out-edges.
    V gxs_sum[kBlocked ? kLanes : 1] = {};
    V partial_sum[kBlocked ? kLanes : 1] = {};
  };
  SourceRow source_row(std::int64_t j, T* partial) {
    return {x_src + j * W(), grad_x_src ? grad_x_src + j * W() : nullptr, partial};
  }
  void source_edge(SourceRow& r, std::int64_t i, EdgeId e, const T*, const T* ds, T* we) {
    const int f = F();
    const T* xd = x_dst + i * W();
    const T* xe = edge_row(e);
    for (int h = 0; h < shape.heads; ++h) {
      we[h] = ds[h];
      leaky_dot_backward_source<kChannels, kEdges>(
          ds[h], att + h * f, xd + h * f, r.xs + h * f, xe ? xe + h * f : nullptr, slope,
          r.gxs ? r.gxs + h * f : nullptr, r.partial ? r.partial + h * f : nullptr, f);
    }
  }
  //   gxs_sum[h] += ds[h] a[h] LeakyReLU'(m[h]),  partial_sum[h] += ds[h] LeakyReLU(m[h])
  [[gnu::always_inline]] V source_lanes(SourceRow& r, std::int64_t i, EdgeId e, const T*,
                                        const V& ds, T* we) requires kBlocked {
    edge_softmax::store_heads(we, ds);
    const T* xd = x_dst + i * W();
    const T* xe = edge_row(e);
    for (int h = 0; h < kLanes; ++h) {
      const V m = blocked_argument(xd, r.xs, xe, h);
      if (r.gxs) r.gxs_sum[h] += ds[h] * blocked_slope_times_att(m, h);
      if (r.partial) r.partial_sum[h] += ds[h] * (m > T(0) ? m : m * slope);
    }
    return V{};
  }
  // With the gradient of x_src wanted, its score and value parts go in one
  // pass over the row (the walk's value gradient is x_src's).
  void source_edge_and_value(SourceRow& r, std::int64_t i, EdgeId e, const T* t, const T* ds,
                             const T* w, const T* gi, T* we) {
    if (!r.gxs) {
      source_edge(r, i, e, t, ds, we);
      return;
    }
    const int f = F();
    const T* xd = x_dst + i * W();
    const T* xe = edge_row(e);
    for (int h = 0; h < shape.heads; ++h) {
      we[h] = ds[h];
      leaky_dot_backward_source_and_value<kChannels, kEdges>(
          ds[h], w[h], att + h * f, xd + h * f, r.xs + h * f, xe ? xe + h * f : nullptr, gi + h * f,
          slope, r.gxs + h * f, r.partial ? r.partial + h * f : nullptr, f);
    }
  }
  static constexpr bool kReadsValues = true;
  [[gnu::always_inline]] void end_source_row(SourceRow& r, const V&) {
    if constexpr (kBlocked) {
      for (int h = 0; h < kLanes; ++h) {
        if (r.gxs) {
          T* g = r.gxs + h * kLanes;
          edge_softmax::store_heads(g, edge_softmax::load_heads(g) + r.gxs_sum[h]);
        }
        if (r.partial) {
          T* p = r.partial + h * kLanes;
          edge_softmax::store_heads(p, edge_softmax::load_heads(p) + r.partial_sum[h]);
        }
      }
    }
  }
  void prefetch_in_source_pass(std::int64_t i) const {
    prefetch_bytes(x_dst + i * W(), std::size_t(W()) * sizeof(T));
  }
  int partial_width() const { return grad_att ? W() : 0; }
  void add_partials(const T* partials, std::int64_t blocks) {
    for (std::int64_t b = 0; b < blocks; ++b) {
      for (int k = 0; k < W(); ++k) grad_att[k] += partials[b * W() + k];
    }
  }

  bool destination_pass() const { return grad_x_dst || grad_x_edge; }
  struct DestinationRow {
    const T* xd;
    T* gxd;
    V gxd_sum[kBlocked ? kLanes : 1] = {};  // the blocked shape's sum over the row
  };
  DestinationRow destination_row(std::int64_t i) {
    return {x_dst + i * W(), grad_x_dst ? grad_x_dst + i * W() : nullptr};
  }
  // The same term reaches x_dst and x_edge: both enter the score as a sum.
  [[gnu::always_inline]] void destination_edge(DestinationRow& r, std::int64_t j, EdgeId e,
                                               const T* we) {
    const int f = F();
    const T* xs = x_src + j * W();
    const T* xe = edge_row(e);
    if constexpr (kBlocked) {
      const V w = edge_softmax::load_heads(we);
      for (int h = 0; h < kLanes; ++h) {
        const V d = w[h] * blocked_slope_times_att(blocked_argument(r.xd, xs, xe, h), h);
        if (r.gxd) r.gxd_sum[h] += d;
        if (grad_x_edge) {
          T* ge = grad_x_edge + e * W() + h * kLanes;
          edge_softmax::store_heads(ge, edge_softmax::load_heads(ge) + d);
        }
      }
      return;
    }
    for (int h = 0; h < shape.heads; ++h) {
      const T* xeh = xe ? xe + h * f : nullptr;
      if (r.gxd) {
        leaky_dot_backward_destination<kChannels, kEdges>(we[h], att + h * f, r.xd + h * f,
                                                          xs + h * f, xeh, slope, r.gxd + h * f, f);
      }
      if (grad_x_edge) {
        leaky_dot_backward_destination<kChannels, kEdges>(we[h], att + h * f, r.xd + h * f,
                                                          xs + h * f, xeh, slope,
                                                          grad_x_edge + e * W() + h * f, f);
      }
    }
  }
  [[gnu::always_inline]] void end_destination_row(DestinationRow& r) {
    if constexpr (kBlocked) {
      if (!r.gxd) return;
      for (int h = 0; h < kLanes; ++h) {
        T* g = r.gxd + h * kLanes;
        edge_softmax::store_heads(g, edge_softmax::load_heads(g) + r.gxd_sum[h]);
      }
    }
  }
  void prefetch_in_destination_pass(std::int64_t j) const { prefetch(j); }
};

template <class T, int kHeads, int kChannels, bool kEdges>
Gatv2Score<T, kHeads, kChannels, kEdges> make_score(HeadShape shape, std::span<const T> x_src,
                                                    std::span<const T> x_dst,
                                                    std::span<const T> att,
                                                    std::span<const T> x_edge, T slope) {
  Gatv2Score<T, kHeads, kChannels, kEdges> s;
  s.shape = shape;
  s.x_src = x_src.data();
  s.x_dst = x_dst.data();
  s.att = att.data();
  s.x_edge = x_edge.empty() ? nullptr : x_edge.data();
  s.slope = slope;
  return s;
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
  edge_softmax::dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    auto run = [&]<bool kEdges>() {
      const auto score = make_score<T, kHeads, kChannels, kEdges>(shape, x_src, x_dst, att, x_edge,
                                                                  negative_slope);
      edge_softmax::forward<T, kHeads, kChannels>(graph, shape, score, x_src.data(), dropout,
                                                  alpha.data(), out.data());
    };
    if (x_edge.empty()) {
      run.template operator()<false>();
    } else {
      run.template operator()<true>();
    }
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
  const int H = shape.heads, W = shape.width();
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
  auto data_or_null = [](std::span<T> s) { return s.empty() ? nullptr : s.data(); };
  const bool need_scores =
      !grad_x_src.empty() || !grad_x_dst.empty() || !grad_att.empty() || !grad_x_edge.empty();
  edge_softmax::dispatch_shape(shape, [&]<int kHeads, int kChannels>() {
    auto run = [&]<bool kEdges>() {
      auto score = make_score<T, kHeads, kChannels, kEdges>(shape, x_src, x_dst, att, x_edge,
                                                            negative_slope);
      score.grad_x_src = data_or_null(grad_x_src);
      score.grad_x_dst = data_or_null(grad_x_dst);
      score.grad_att = data_or_null(grad_att);
      score.grad_x_edge = data_or_null(grad_x_edge);
      edge_softmax::backward<T, kHeads, kChannels>(
          graph, shape, score, x_src.data(), dropout, alpha.data(), out.data(), grad_out.data(),
          data_or_null(grad_x_src), need_scores ? edge_work.data() : nullptr);
    };
    if (x_edge.empty()) {
      run.template operator()<false>();
    } else {
      run.template operator()<true>();
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
