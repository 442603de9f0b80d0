#include "heed/kernels/dot_product_attention.hpp"

#include <cmath>
#include <vector>

#include "edge_softmax.hpp"
#include "feature_loops.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  check_size("dot_product_attention", what, got, want);
}

// The transformer's score, s_e = q_i . k_j / sqrt(d) per head. Its gradient,
// ds_e / sqrt(d), reaches k_j by source (times q_i) and q_i by destination
// (times k_j).
template <class T>
struct DotScore : edge_softmax::ScoreDefaults<T> {
  HeadShape shape;
  const T* q;
  const T* k;
  T scale;
  T* grad_q = nullptr;
  T* grad_k = nullptr;

  int W() const { return shape.width(); }
  struct Row {
    const T* qi;
  };
  Row row(std::int64_t i) const { return {q + i * W()}; }
  void scores(const Row& r, std::int64_t j, EdgeId, T* s) const {
    const int d = shape.channels;
    const T* kj = k + j * W();
    for (int h = 0; h < shape.heads; ++h) s[h] = dot<0>(r.qi + h * d, kj + h * d, d) * scale;
  }
  [[gnu::always_inline]] void prefetch(std::int64_t j) const {
    prefetch_bytes(k + j * W(), std::size_t(W()) * sizeof(T));
  }

  struct SourceRow {
    T* gk;
  };
  SourceRow source_row(std::int64_t j, T*) { return {grad_k ? grad_k + j * W() : nullptr}; }
  void source_edge(SourceRow& r, std::int64_t i, EdgeId, const T*, const T* ds, T* we) {
    const int d = shape.channels;
    for (int h = 0; h < shape.heads; ++h) {
      we[h] = ds[h] * scale;
      if (r.gk) axpy<0>(we[h], q + i * W() + h * d, r.gk + h * d, d);
    }
  }
  void end_source_row(SourceRow&, const Lanes<T>&) {}
  [[gnu::always_inline]] void prefetch_in_source_pass(std::int64_t i) const {
    if (grad_k) prefetch_bytes(q + i * W(), std::size_t(W()) * sizeof(T));
  }

  bool destination_pass() const { return grad_q != nullptr; }
  struct DestinationRow {
    T* gq;
  };
  DestinationRow destination_row(std::int64_t i) { return {grad_q + i * W()}; }
  void destination_edge(DestinationRow& r, std::int64_t j, EdgeId, const T* we) {
    const int d = shape.channels;
    for (int h = 0; h < shape.heads; ++h) axpy<0>(we[h], k + j * W() + h * d, r.gq + h * d, d);
  }
  void end_destination_row(DestinationRow&) {}
  [[gnu::always_inline]] void prefetch_in_destination_pass(std::int64_t j) const { prefetch(j); }
};

}  // namespace

template <class T>
void dot_product_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> q,
                                   std::span<const T> k, std::span<const T> v,
                                   const KeyedDropout<T>& dropout, std::span<T> alpha,
                                   std::span<T> out) {
  const int H = shape.heads, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const std::size_t nw = std::size_t(n * W), eh = std::size_t(graph.num_edges() * H);
  check_sizes("q", q.size(), nw);
  check_sizes("k", k.size(), nw);
  check_sizes("v", v.size(), nw);
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("out", out.size(), nw);
  const DotScore<T> score{{}, shape, q.data(), k.data(), T(1) / std::sqrt(T(shape.channels))};
  edge_softmax::forward<T, 0, 0>(graph, shape, score, v.data(), dropout, alpha.data(), out.data());
}

template <class T>
void dot_product_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> q,
                                    std::span<const T> k, std::span<const T> v,
                                    const KeyedDropout<T>& dropout, std::span<const T> alpha,
                                    std::span<const T> out, std::span<const T> grad_out,
                                    std::span<T> grad_q, std::span<T> grad_k, std::span<T> grad_v) {
  const int H = shape.heads, W = shape.width();
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
  DotScore<T> score{{},
                    shape,
                    q.data(),
                    k.data(),
                    T(1) / std::sqrt(T(shape.channels)),
                    grad_q.empty() ? nullptr : grad_q.data(),
                    grad_k.empty() ? nullptr : grad_k.data()};
  const bool need_scores = !grad_q.empty() || !grad_k.empty();
  std::vector<T> work(need_scores ? eh : 0);
  edge_softmax::backward<T, 0, 0>(graph, shape, score, v.data(), dropout, alpha.data(), out.data(),
                                  grad_out.data(), grad_v.empty() ? nullptr : grad_v.data(),
                                  need_scores ? work.data() : nullptr);
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
