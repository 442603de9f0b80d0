#include "heed/kernels/gat_edge_attention.hpp"

#include <vector>

#include "edge_softmax.hpp"
#include "feature_loops.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("gat_edge_attention", what, got, want);
}

// GAT's score with an edge term, s_e = LeakyReLU(s_dst[i] + s_src[j] +
// s_edge[e]); its gradient d raw reaches s_src by source and s_dst and
// s_edge by destination.
template <class T>
struct GatEdgeScore : edge_softmax::ScoreDefaults<T> {
  int heads;
  const T* s_src;
  const T* s_dst;
  const T* s_edge;
  T slope;
  T* grad_s_src = nullptr;
  T* grad_s_dst = nullptr;
  T* grad_s_edge = nullptr;

  struct Row {
    const T* sd;
  };
  Row row(std::int64_t i) const { return {s_dst + i * heads}; }
  void scores(const Row& r, std::int64_t j, EdgeId e, T* s) const {
    for (int h = 0; h < heads; ++h) {
      const T x = r.sd[h] + s_src[j * heads + h] + s_edge[e * heads + h];
      s[h] = x > T(0) ? x : x * slope;
    }
  }
  [[gnu::always_inline]] void prefetch(std::int64_t j) const {
    prefetch_bytes(s_src + j * heads, std::size_t(heads) * sizeof(T));
  }

  int destination_terms() const { return heads; }
  void fill_destination_terms(std::int64_t i, T* t) const {
    for (int h = 0; h < heads; ++h) t[h] = s_dst[i * heads + h];
  }
  struct SourceRow {
    const T* ss;
    T* gss;
  };
  SourceRow source_row(std::int64_t j, T*) {
    return {s_src + j * heads, grad_s_src ? grad_s_src + j * heads : nullptr};
  }
  void source_edge(SourceRow& r, std::int64_t, EdgeId e, const T* t, const T* ds, T* we) {
    for (int h = 0; h < heads; ++h) {
      const T raw = t[h] + r.ss[h] + s_edge[e * heads + h];
      we[h] = raw > T(0) ? ds[h] : ds[h] * slope;
      if (r.gss) r.gss[h] += we[h];
    }
  }
  void end_source_row(SourceRow&, const Lanes<T>&) {}

  bool destination_pass() const { return grad_s_dst || grad_s_edge; }
  struct DestinationRow {
    T* gsd;
  };
  DestinationRow destination_row(std::int64_t i) {
    return {grad_s_dst ? grad_s_dst + i * heads : nullptr};
  }
  void destination_edge(DestinationRow& r, std::int64_t, EdgeId e, const T* we) {
    for (int h = 0; h < heads; ++h) {
      if (r.gsd) r.gsd[h] += we[h];
      if (grad_s_edge) grad_s_edge[e * heads + h] += we[h];
    }
  }
  void end_destination_row(DestinationRow&) {}
};

}  // namespace

template <class T>
void gat_edge_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                                std::span<const T> s_src, std::span<const T> s_dst,
                                std::span<const T> s_edge, T negative_slope,
                                const KeyedDropout<T>& dropout, std::span<T> alpha,
                                std::span<T> out) {
  const int H = shape.heads, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t eh = std::size_t(graph.num_edges() * H);
  check_sizes("z", z.size(), std::size_t(n * W));
  check_sizes("s_src", s_src.size(), std::size_t(n * H));
  check_sizes("s_dst", s_dst.size(), std::size_t(n * H));
  check_sizes("s_edge", s_edge.size(), eh);
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), std::size_t(n * W));
  const GatEdgeScore<T> score{{}, H, s_src.data(), s_dst.data(), s_edge.data(), negative_slope};
  edge_softmax::forward<T, 0, 0>(graph, shape, score, z.data(), dropout, alpha.data(), out.data());
}

template <class T>
void gat_edge_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                                 std::span<const T> s_src, std::span<const T> s_dst,
                                 std::span<const T> s_edge, T negative_slope,
                                 const KeyedDropout<T>& dropout, std::span<const T> alpha,
                                 std::span<const T> out, std::span<const T> grad_out,
                                 std::span<T> grad_z, std::span<T> grad_s_src,
                                 std::span<T> grad_s_dst, std::span<T> grad_s_edge) {
  const int H = shape.heads, W = shape.width();
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
  auto data_or_null = [](std::span<T> s) { return s.empty() ? nullptr : s.data(); };
  GatEdgeScore<T> score{{},
                        H,
                        s_src.data(),
                        s_dst.data(),
                        s_edge.data(),
                        negative_slope,
                        data_or_null(grad_s_src),
                        data_or_null(grad_s_dst),
                        data_or_null(grad_s_edge)};
  const bool need_scores = !grad_s_src.empty() || !grad_s_dst.empty() || !grad_s_edge.empty();
  std::vector<T> work(need_scores ? eh : 0);
  edge_softmax::backward<T, 0, 0>(graph, shape, score, z.data(), dropout, alpha.data(), out.data(),
                                  grad_out.data(), data_or_null(grad_z),
                                  need_scores ? work.data() : nullptr);
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
