#include "heed/kernels/gat_attention.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "heed/error.hpp"

namespace heed::kernels {
namespace {

template <class T>
T leaky_relu(T x, T slope) {
  return x > T(0) ? x : x * slope;
}

// Runs body(row_begin, row_end) on each thread's share of rows, balanced by
// the number of edges in `indptr`.
template <class Body>
void for_row_ranges(std::span<const EdgeId> indptr, Body&& body) {
#pragma omp parallel
  {
    int parts = omp_get_num_threads();
    // Computed by every thread: cheap (a linear scan) and avoids a barrier.
    std::vector<std::int64_t> bounds = partition_rows_by_edges(indptr, parts);
    int t = omp_get_thread_num();
    body(bounds[std::size_t(t)], bounds[std::size_t(t) + 1]);
  }
}

void check_sizes(const char* what, std::size_t got, std::size_t want) {
  if (got != want) {
    throw Error(std::string("gat kernel: ") + what + " has " + std::to_string(got) +
                " elements, expected " + std::to_string(want));
  }
}

constexpr std::int64_t kReductionBlock = 2048;

}  // namespace

template <class T>
void gat_node_scores(HeadShape shape, std::span<const T> z, std::span<const T> a, std::span<T> s) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = std::int64_t(z.size()) / W;
  check_sizes("a", a.size(), std::size_t(W));
  check_sizes("s", s.size(), std::size_t(n * H));
#pragma omp parallel for schedule(static)
  for (std::int64_t j = 0; j < n; ++j) {
    const T* zj = z.data() + j * W;
    for (int h = 0; h < H; ++h) {
      T acc = 0;
      for (int f = 0; f < F; ++f) acc += zj[h * F + f] * a[std::size_t(h * F + f)];
      s[std::size_t(j * H + h)] = acc;
    }
  }
}

template <class T>
void gat_node_scores_backward(HeadShape shape, std::span<const T> z, std::span<const T> a,
                              std::span<const T> ds, std::span<T> grad_z, std::span<T> grad_a) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = std::int64_t(z.size()) / W;
  check_sizes("ds", ds.size(), std::size_t(n * H));
  if (!grad_z.empty()) {
    check_sizes("grad_z", grad_z.size(), z.size());
#pragma omp parallel for schedule(static)
    for (std::int64_t j = 0; j < n; ++j) {
      T* gz = grad_z.data() + j * W;
      for (int h = 0; h < H; ++h) {
        T d = ds[std::size_t(j * H + h)];
        for (int f = 0; f < F; ++f) gz[h * F + f] += d * a[std::size_t(h * F + f)];
      }
    }
  }
  if (!grad_a.empty()) {
    check_sizes("grad_a", grad_a.size(), std::size_t(W));
    const std::int64_t blocks = (n + kReductionBlock - 1) / kReductionBlock;
    std::vector<T> partial(std::size_t(blocks * W), T(0));
#pragma omp parallel for schedule(static)
    for (std::int64_t b = 0; b < blocks; ++b) {
      T* p = partial.data() + b * W;
      std::int64_t end = std::min(n, (b + 1) * kReductionBlock);
      for (std::int64_t j = b * kReductionBlock; j < end; ++j) {
        const T* zj = z.data() + j * W;
        for (int h = 0; h < H; ++h) {
          T d = ds[std::size_t(j * H + h)];
          for (int f = 0; f < F; ++f) p[h * F + f] += d * zj[h * F + f];
        }
      }
    }
    for (std::int64_t b = 0; b < blocks; ++b) {
      for (int k = 0; k < W; ++k) grad_a[std::size_t(k)] += partial[std::size_t(b * W + k)];
    }
  }
}

template <class T>
void gat_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                           std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                           const KeyedDropout<T>& dropout, std::span<T> alpha, std::span<T> out) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const Csr& in = graph.in();
  check_sizes("z", z.size(), std::size_t(n * W));
  check_sizes("s_src", s_src.size(), std::size_t(n * H));
  check_sizes("s_dst", s_dst.size(), std::size_t(n * H));
  check_sizes("alpha", alpha.size(), std::size_t(graph.num_edges() * H));
  check_sizes("out", out.size(), std::size_t(n * W));

  for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
    std::vector<T> row_max(static_cast<std::size_t>(H)), row_sum(static_cast<std::size_t>(H));
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
      T* oi = out.data() + i * W;
      std::fill(oi, oi + W, T(0));
      if (begin == end) continue;
      // Stable softmax: scores, their max, then exp and the sum.
      std::fill(row_max.begin(), row_max.end(), -std::numeric_limits<T>::infinity());
      std::fill(row_sum.begin(), row_sum.end(), T(0));
      for (EdgeId e = begin; e < end; ++e) {
        const NodeId j = in.indices[std::size_t(e)];
        for (int h = 0; h < H; ++h) {
          T score = leaky_relu(s_dst[std::size_t(i * H + h)] + s_src[std::size_t(j * H + h)],
                               negative_slope);
          alpha[std::size_t(e * H + h)] = score;
          row_max[std::size_t(h)] = std::max(row_max[std::size_t(h)], score);
        }
      }
      for (EdgeId e = begin; e < end; ++e) {
        for (int h = 0; h < H; ++h) {
          T& a = alpha[std::size_t(e * H + h)];
          a = std::exp(a - row_max[std::size_t(h)]);
          row_sum[std::size_t(h)] += a;
        }
      }
      // out_i = sum_e alpha_e z_j, over contiguous F features per head.
      for (EdgeId e = begin; e < end; ++e) {
        const T* zj = z.data() + std::int64_t(in.indices[std::size_t(e)]) * W;
        for (int h = 0; h < H; ++h) {
          T& a = alpha[std::size_t(e * H + h)];
          a /= row_sum[std::size_t(h)];
          const T w = a * dropout.scale(std::uint64_t(e * H + h));
          if (w == T(0)) continue;
          T* o = oi + h * F;
          const T* zh = zj + h * F;
          for (int f = 0; f < F; ++f) o[f] += w * zh[f];
        }
      }
    }
  });
}

template <class T>
void gat_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                            std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                            const KeyedDropout<T>& dropout, std::span<const T> alpha,
                            std::span<const T> grad_out, std::span<T> grad_z,
                            std::span<T> grad_s_src, std::span<T> grad_s_dst,
                            std::span<T> edge_work) {
  const int H = shape.heads, F = shape.channels, W = shape.width();
  const std::int64_t n = graph.num_nodes();
  const Csr& in = graph.in();
  const Csr& out = graph.out();
  const auto out_ids = graph.out_edge_ids();
  const std::size_t eh = std::size_t(graph.num_edges() * H);
  check_sizes("alpha", alpha.size(), eh);
  check_sizes("edge_work", edge_work.size(), eh);
  check_sizes("grad_out", grad_out.size(), std::size_t(n * W));
  const bool need_scores = !grad_s_src.empty() || !grad_s_dst.empty();

  // Pass 1, by destination i: d alpha_e = drop_e * <grad_out_i, z_j>, then
  // d score_e = alpha_e (d alpha_e - sum_e' alpha_e' d alpha_e') * LeakyReLU'.
  if (need_scores) {
    for_row_ranges(in.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
      std::vector<T> dot_sum(static_cast<std::size_t>(H));
      for (std::int64_t i = row_begin; i < row_end; ++i) {
        const EdgeId begin = in.indptr[std::size_t(i)], end = in.indptr[std::size_t(i) + 1];
        const T* gi = grad_out.data() + i * W;
        std::fill(dot_sum.begin(), dot_sum.end(), T(0));
        for (EdgeId e = begin; e < end; ++e) {
          const T* zj = z.data() + std::int64_t(in.indices[std::size_t(e)]) * W;
          for (int h = 0; h < H; ++h) {
            T dot = 0;
            for (int f = 0; f < F; ++f) dot += gi[h * F + f] * zj[h * F + f];
            const std::size_t k = std::size_t(e * H + h);
            edge_work[k] = dot * dropout.scale(k);
            dot_sum[std::size_t(h)] += alpha[k] * edge_work[k];
          }
        }
        for (EdgeId e = begin; e < end; ++e) {
          const NodeId j = in.indices[std::size_t(e)];
          for (int h = 0; h < H; ++h) {
            const std::size_t k = std::size_t(e * H + h);
            T raw = s_dst[std::size_t(i * H + h)] + s_src[std::size_t(j * H + h)];
            T d = alpha[k] * (edge_work[k] - dot_sum[std::size_t(h)]);
            edge_work[k] = raw > T(0) ? d : d * negative_slope;
            if (!grad_s_dst.empty()) grad_s_dst[std::size_t(i * H + h)] += edge_work[k];
          }
        }
      }
    });
  }

  // Pass 2, by source j: grad_z_j += sum_e drop(alpha_e) grad_out_i and
  // grad_s_src_j += sum_e d score_e over j's out-edges.
  if (!grad_z.empty() || !grad_s_src.empty()) {
    if (!grad_z.empty()) check_sizes("grad_z", grad_z.size(), std::size_t(n * W));
    for_row_ranges(out.indptr, [&](std::int64_t row_begin, std::int64_t row_end) {
      for (std::int64_t j = row_begin; j < row_end; ++j) {
        T* gz = grad_z.empty() ? nullptr : grad_z.data() + j * W;
        for (EdgeId p = out.indptr[std::size_t(j)]; p < out.indptr[std::size_t(j) + 1]; ++p) {
          const EdgeId e = out_ids[std::size_t(p)];
          const T* gi = grad_out.data() + std::int64_t(out.indices[std::size_t(p)]) * W;
          for (int h = 0; h < H; ++h) {
            const std::size_t k = std::size_t(e * H + h);
            if (!grad_s_src.empty()) grad_s_src[std::size_t(j * H + h)] += edge_work[k];
            if (gz == nullptr) continue;
            const T w = alpha[k] * dropout.scale(k);
            if (w == T(0)) continue;
            for (int f = 0; f < F; ++f) gz[h * F + f] += w * gi[h * F + f];
          }
        }
      }
    });
  }
}

#define HEED_INSTANTIATE(T)                                                                       \
  template void gat_node_scores<T>(HeadShape, std::span<const T>, std::span<const T>,             \
                                   std::span<T>);                                                 \
  template void gat_node_scores_backward<T>(HeadShape, std::span<const T>, std::span<const T>,    \
                                            std::span<const T>, std::span<T>, std::span<T>);      \
  template void gat_attention_forward<T>(const Graph&, HeadShape, std::span<const T>,             \
                                         std::span<const T>, std::span<const T>, T,               \
                                         const KeyedDropout<T>&, std::span<T>, std::span<T>);     \
  template void gat_attention_backward<T>(                                                        \
      const Graph&, HeadShape, std::span<const T>, std::span<const T>, std::span<const T>, T,     \
      const KeyedDropout<T>&, std::span<const T>, std::span<const T>, std::span<T>, std::span<T>, \
      std::span<T>, std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
