// The fused attention kernels against a naive dense evaluation of
//   alpha_ij = softmax_j LeakyReLU(s_dst[i] + s_src[j]),  out_i = sum_j drop(alpha_ij) z_j.
#include "heed/kernels/gat_attention.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "heed/tensor/blas.hpp"
#include "heed/tensor/tensor.hpp"
#include "support/random_inputs.hpp"

namespace heed::kernels {
namespace {

using testing::random_graph;
using testing::random_values;

// H = 8 takes the kernels' vector path (one vector per edge's heads), other
// head counts the scalar path; F = 8 the vector dot products.
template <class T>
void compare_forward(double dropout, double tolerance, int H = 3, int F = 4) {
  const Graph g = random_graph(40, 200, 1);
  const HeadShape shape{H, F};
  const int n = 40, W = H * F;
  const auto z = random_values<T>(std::size_t(n * W), 2);
  const auto s_src = random_values<T>(std::size_t(n * H), 3);
  const auto s_dst = random_values<T>(std::size_t(n * H), 4);
  const KeyedDropout<T> drop{T(dropout), 9};
  std::vector<T> alpha(std::size_t(g.num_edges() * H)), out(std::size_t(n * W));
  gat_attention_forward<T>(g, shape, z, s_src, s_dst, T(0.2), drop, alpha, out);

  // Dense: an N x N edge-id table, then the formula row by row.
  std::vector<EdgeId> id(std::size_t(n * n), -1);
  const std::vector<NodeId> dst = g.edge_dst();
  for (EdgeId e = 0; e < g.num_edges(); ++e) {
    id[std::size_t(dst[std::size_t(e)] * n + g.edge_src()[std::size_t(e)])] = e;
  }
  for (int i = 0; i < n; ++i) {
    for (int h = 0; h < H; ++h) {
      double total = 0;
      std::vector<double> ex(std::size_t(n), 0);
      for (int j = 0; j < n; ++j) {
        if (id[std::size_t(i * n + j)] < 0) continue;
        double raw = double(s_dst[std::size_t(i * H + h)]) + double(s_src[std::size_t(j * H + h)]);
        ex[std::size_t(j)] = std::exp(raw > 0 ? raw : 0.2 * raw);
        total += ex[std::size_t(j)];
      }
      std::vector<double> expect(std::size_t(F), 0);
      for (int j = 0; j < n; ++j) {
        const EdgeId e = id[std::size_t(i * n + j)];
        if (e < 0) continue;
        const double a = ex[std::size_t(j)] / total;
        EXPECT_NEAR(alpha[std::size_t(e * H + h)], a, tolerance);
        const double w = a * double(drop.scale(std::uint64_t(e * H + h)));
        for (int f = 0; f < F; ++f)
          expect[std::size_t(f)] += w * double(z[std::size_t(j * W + h * F + f)]);
      }
      for (int f = 0; f < F; ++f) {
        EXPECT_NEAR(out[std::size_t(i * W + h * F + f)], expect[std::size_t(f)], tolerance)
            << "node " << i << " head " << h << " feature " << f;
      }
    }
  }
}

TEST(GatAttentionKernel, ForwardMatchesDenseDouble) {
  compare_forward<double>(0.0, 1e-10);
}
TEST(GatAttentionKernel, ForwardMatchesDenseFloat) {
  compare_forward<float>(0.0, 1e-5);
}
TEST(GatAttentionKernel, ForwardEightHeadsMatchesDense) {
  compare_forward<double>(0.3, 1e-10, 8, 8);
  compare_forward<double>(0.0, 1e-10, 8, 5);
  compare_forward<float>(0.3, 1e-5, 8, 8);
  compare_forward<float>(0.0, 1e-5, 8, 3);
}
TEST(GatAttentionKernel, ForwardWithDropoutMatchesDense) {
  compare_forward<double>(0.5, 1e-12);
}

// The backward pass from its textbook form, edge by edge in a dense table:
//   d alpha_ij = drop_ij <g_i, z_j>,  d e_ij = alpha_ij (d alpha_ij - sum_k alpha_ik d alpha_ik),
//   d raw_ij = d e_ij LeakyReLU'(raw_ij),  grad_s_dst_i = sum_j d raw_ij,
//   grad_s_src_j = sum_i d raw_ij,  grad_z_j = sum_i alpha_ij drop_ij g_i.
template <class T>
void compare_backward(double dropout, double tolerance, int H = 3, int F = 4) {
  const int n = 40, W = H * F;
  const Graph g = random_graph(n, 200, 21);
  const HeadShape shape{H, F};
  const auto z = random_values<T>(std::size_t(n * W), 22);
  const auto s_src = random_values<T>(std::size_t(n * H), 23);
  const auto s_dst = random_values<T>(std::size_t(n * H), 24);
  const auto grad_out = random_values<T>(std::size_t(n * W), 25);
  const KeyedDropout<T> drop{T(dropout), 26};
  const std::size_t E = std::size_t(g.num_edges());
  std::vector<T> alpha(E * H), out(std::size_t(n * W)), work(E * H);
  // Nonzero starting gradients: the kernel must add to them.
  std::vector<T> gz(std::size_t(n * W), T(1)), gs(std::size_t(n * H), T(1)),
      gd(std::size_t(n * H), T(1));
  gat_attention_forward<T>(g, shape, z, s_src, s_dst, T(0.2), drop, alpha, out);
  gat_attention_backward<T>(g, shape, z, s_src, s_dst, T(0.2), drop, alpha, out, grad_out, gz, gs,
                            gd, work);

  std::vector<EdgeId> id(std::size_t(n * n), -1);
  const std::vector<NodeId> dst = g.edge_dst();
  for (EdgeId e = 0; e < g.num_edges(); ++e) {
    id[std::size_t(dst[std::size_t(e)] * n + g.edge_src()[std::size_t(e)])] = e;
  }
  std::vector<double> want_z(std::size_t(n * W), 1.0), want_s(std::size_t(n * H), 1.0),
      want_d(std::size_t(n * H), 1.0);
  for (int i = 0; i < n; ++i) {
    for (int h = 0; h < H; ++h) {
      std::vector<double> a(std::size_t(n), 0), da(std::size_t(n), 0), raw(std::size_t(n), 0);
      double total = 0;
      for (int j = 0; j < n; ++j) {
        if (id[std::size_t(i * n + j)] < 0) continue;
        raw[std::size_t(j)] =
            double(s_dst[std::size_t(i * H + h)]) + double(s_src[std::size_t(j * H + h)]);
        const double r = raw[std::size_t(j)];
        a[std::size_t(j)] = std::exp(r > 0 ? r : 0.2 * r);
        total += a[std::size_t(j)];
      }
      double weighted = 0;
      for (int j = 0; j < n; ++j) {
        const EdgeId e = id[std::size_t(i * n + j)];
        if (e < 0) continue;
        a[std::size_t(j)] /= total;
        const double dr = double(drop.scale(std::uint64_t(e * H + h)));
        double dot = 0;
        for (int f = 0; f < F; ++f) {
          dot += double(grad_out[std::size_t(i * W + h * F + f)]) *
                 double(z[std::size_t(j * W + h * F + f)]);
          want_z[std::size_t(j * W + h * F + f)] +=
              a[std::size_t(j)] * dr * double(grad_out[std::size_t(i * W + h * F + f)]);
        }
        da[std::size_t(j)] = dr * dot;
        weighted += a[std::size_t(j)] * da[std::size_t(j)];
      }
      for (int j = 0; j < n; ++j) {
        if (id[std::size_t(i * n + j)] < 0) continue;
        double d = a[std::size_t(j)] * (da[std::size_t(j)] - weighted);
        if (raw[std::size_t(j)] <= 0) d *= 0.2;
        want_d[std::size_t(i * H + h)] += d;
        want_s[std::size_t(j * H + h)] += d;
      }
    }
  }
  for (std::size_t k = 0; k < want_z.size(); ++k) EXPECT_NEAR(gz[k], want_z[k], tolerance) << k;
  for (std::size_t k = 0; k < want_s.size(); ++k) EXPECT_NEAR(gs[k], want_s[k], tolerance) << k;
  for (std::size_t k = 0; k < want_d.size(); ++k) EXPECT_NEAR(gd[k], want_d[k], tolerance) << k;
}

TEST(GatAttentionKernel, BackwardMatchesDenseDouble) {
  compare_backward<double>(0.0, 1e-10);
}
TEST(GatAttentionKernel, BackwardWithDropoutMatchesDenseDouble) {
  compare_backward<double>(0.4, 1e-10);
}
TEST(GatAttentionKernel, BackwardEightHeadsMatchesDense) {
  compare_backward<double>(0.3, 1e-10, 8, 8);
  compare_backward<double>(0.0, 1e-10, 8, 6);
  compare_backward<float>(0.3, 1e-5, 8, 8);
  compare_backward<float>(0.0, 1e-5, 8, 16);
}
TEST(GatAttentionKernel, BackwardMatchesDenseFloat) {
  compare_backward<float>(0.0, 1e-5);
}

TEST(GatAttentionKernel, ResultsDoNotDependOnThreadCount) {
  const Graph g = random_graph(3000, 20000, 5);
  for (const HeadShape shape : {HeadShape{4, 8}, HeadShape{8, 8}}) {
    const std::size_t n = 3000, H = std::size_t(shape.heads), W = std::size_t(shape.width());
    const std::size_t E = std::size_t(g.num_edges());
    const auto z = random_values<float>(n * W, 6);
    const auto s_src = random_values<float>(n * H, 7);
    const auto s_dst = random_values<float>(n * H, 8);
    const auto grad_out = random_values<float>(n * W, 9);
    const KeyedDropout<float> drop{0.3f, 10};
    auto run = [&](int threads) {
      set_num_threads(threads);
      std::vector<float> alpha(E * H), out(n * W), gz(n * W), gs(n * H), gd(n * H), work(E * H);
      gat_attention_forward<float>(g, shape, z, s_src, s_dst, 0.2f, drop, alpha, out);
      gat_attention_backward<float>(g, shape, z, s_src, s_dst, 0.2f, drop, alpha, out, grad_out, gz,
                                    gs, gd, work);
      std::vector<float> s_grad_z(n * W), s_grad_a(W);
      gat_node_scores_backward<float>(shape, z, random_values<float>(W, 11), s_src, s_grad_z,
                                      s_grad_a);
      return std::vector<std::vector<float>>{out, alpha, gz, gs, gd, s_grad_z, s_grad_a};
    };
    const auto one = run(1);
    const auto three = run(3);
    set_num_threads(0);
    for (std::size_t k = 0; k < one.size(); ++k) {
      EXPECT_EQ(one[k], three[k]) << "array " << k << ", " << shape.heads << " heads";
    }
  }
}

TEST(GatAttentionKernel, NodeWithoutInEdgesGetsZero) {
  EdgeList e;
  e.add(0, 1);
  const Graph g(2, e);
  const HeadShape shape{1, 2};
  std::vector<double> z{1, 2, 3, 4}, s{0.5, -0.5}, alpha(1), out(4, 7.0);
  gat_attention_forward<double>(g, shape, z, s, s, 0.2, {}, alpha, out);
  EXPECT_EQ(out, (std::vector<double>{0, 0, 1, 2}));
  EXPECT_EQ(alpha[0], 1.0);
}

TEST(GatAttentionKernel, LargeScoresStayFinite) {
  const Graph g = random_graph(10, 30, 12);
  const HeadShape shape{1, 1};
  std::vector<double> z(10, 1.0), s_src(10), s_dst(10, 0.0), alpha(std::size_t(g.num_edges())),
      out(10);
  for (int j = 0; j < 10; ++j) s_src[std::size_t(j)] = 1000.0 * j;
  gat_attention_forward<double>(g, shape, z, s_src, s_dst, 0.2, {}, alpha, out);
  for (double v : out) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_NEAR(v, 1.0, 1e-12);  // a convex combination of ones
  }
}

}  // namespace
}  // namespace heed::kernels
