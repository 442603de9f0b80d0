// GATv2's fused kernels against a naive evaluation over a dense N x N edge
// table, written from the paper's formula:
//   e_ij = sum_f a_f LeakyReLU(x_dst[i,f] + x_src[j,f]),  alpha = softmax_j e,
//   out_i = sum_j drop(alpha_ij) x_src[j]
// and the backward pass in its textbook form.
#include "heed/kernels/gatv2_attention.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "heed/tensor/blas.hpp"
#include "support/random_inputs.hpp"

namespace heed::kernels {
namespace {

using testing::random_graph;
using testing::random_values;

struct Reference {
  std::vector<double> alpha, out, grad_src, grad_dst, grad_att;
};

// Dense evaluation, every sum in double.
template <class T>
Reference dense_gatv2(const Graph& g, int H, int F, const std::vector<T>& xs,
                      const std::vector<T>& xd, const std::vector<T>& a,
                      const std::vector<T>& grad_out, const KeyedDropout<T>& drop, double slope) {
  const int n = int(g.num_nodes()), W = H * F;
  std::vector<EdgeId> id(std::size_t(n * n), -1);
  const std::vector<NodeId> dst = g.edge_dst();
  for (EdgeId e = 0; e < g.num_edges(); ++e) {
    id[std::size_t(dst[std::size_t(e)] * n + g.edge_src()[std::size_t(e)])] = e;
  }
  auto leaky = [slope](double m) { return m > 0 ? m : slope * m; };
  auto dleaky = [slope](double m) { return m > 0 ? 1.0 : slope; };
  Reference r;
  r.alpha.assign(std::size_t(g.num_edges() * H), 0);
  r.out.assign(std::size_t(n * W), 0);
  r.grad_src.assign(std::size_t(n * W), 0);
  r.grad_dst.assign(std::size_t(n * W), 0);
  r.grad_att.assign(std::size_t(W), 0);
  auto at = [&](const std::vector<T>& v, int node, int h, int f) {
    return double(v[std::size_t(node * W + h * F + f)]);
  };
  for (int i = 0; i < n; ++i) {
    for (int h = 0; h < H; ++h) {
      std::vector<double> score(std::size_t(n), 0), alpha(std::size_t(n), 0),
          dalpha(std::size_t(n), 0);
      double top = -1e300;
      for (int j = 0; j < n; ++j) {
        if (id[std::size_t(i * n + j)] < 0) continue;
        double s = 0;
        for (int f = 0; f < F; ++f)
          s += double(a[std::size_t(h * F + f)]) * leaky(at(xd, i, h, f) + at(xs, j, h, f));
        score[std::size_t(j)] = s;
        top = std::max(top, s);
      }
      double total = 0;
      for (int j = 0; j < n; ++j) {
        if (id[std::size_t(i * n + j)] < 0) continue;
        alpha[std::size_t(j)] = std::exp(score[std::size_t(j)] - top);
        total += alpha[std::size_t(j)];
      }
      double weighted = 0;
      for (int j = 0; j < n; ++j) {
        const EdgeId e = id[std::size_t(i * n + j)];
        if (e < 0) continue;
        alpha[std::size_t(j)] /= total;
        r.alpha[std::size_t(e * H + h)] = alpha[std::size_t(j)];
        const double dr = double(drop.scale(std::uint64_t(e * H + h)));
        double dot = 0;
        for (int f = 0; f < F; ++f) {
          r.out[std::size_t(i * W + h * F + f)] += alpha[std::size_t(j)] * dr * at(xs, j, h, f);
          dot += at(grad_out, i, h, f) * at(xs, j, h, f);
          r.grad_src[std::size_t(j * W + h * F + f)] +=
              alpha[std::size_t(j)] * dr * at(grad_out, i, h, f);
        }
        dalpha[std::size_t(j)] = dr * dot;
        weighted += alpha[std::size_t(j)] * dalpha[std::size_t(j)];
      }
      for (int j = 0; j < n; ++j) {
        if (id[std::size_t(i * n + j)] < 0) continue;
        const double ds = alpha[std::size_t(j)] * (dalpha[std::size_t(j)] - weighted);
        for (int f = 0; f < F; ++f) {
          const double m = at(xd, i, h, f) + at(xs, j, h, f);
          const double dm = ds * double(a[std::size_t(h * F + f)]) * dleaky(m);
          r.grad_src[std::size_t(j * W + h * F + f)] += dm;
          r.grad_dst[std::size_t(i * W + h * F + f)] += dm;
          r.grad_att[std::size_t(h * F + f)] += ds * leaky(m);
        }
      }
    }
  }
  return r;
}

template <class T>
void compare(int H, int F, double dropout, double tolerance, bool self_loops = true) {
  const int n = 30;
  const Graph g = random_graph(n, 150, 3, self_loops);
  const HeadShape shape{H, F};
  const std::size_t nw = std::size_t(n * H * F), eh = std::size_t(g.num_edges() * H);
  const auto xs = random_values<T>(nw, 4), xd = random_values<T>(nw, 5);
  const auto a = random_values<T>(std::size_t(H * F), 6);
  const auto grad_out = random_values<T>(nw, 7);
  const KeyedDropout<T> drop{T(dropout), 8};
  std::vector<T> alpha(eh), out(nw);
  gatv2_attention_forward<T>(g, shape, xs, xd, a, T(0.2), drop, alpha, out);
  // Nonzero starting gradients: the kernel must add to them.
  std::vector<T> gs(nw, T(1)), gd(nw, T(1)), ga(std::size_t(H * F), T(1)), work(eh);
  gatv2_attention_backward<T>(g, shape, xs, xd, a, T(0.2), drop, alpha, out, grad_out, gs, gd, ga,
                              work);
  const Reference r = dense_gatv2(g, H, F, xs, xd, a, grad_out, drop, 0.2);
  for (std::size_t k = 0; k < eh; ++k)
    EXPECT_NEAR(alpha[k], r.alpha[k], tolerance) << "alpha " << k;
  for (std::size_t k = 0; k < nw; ++k) {
    EXPECT_NEAR(out[k], r.out[k], tolerance) << "out " << k;
    EXPECT_NEAR(gs[k], 1 + r.grad_src[k], tolerance) << "grad_x_src " << k;
    EXPECT_NEAR(gd[k], 1 + r.grad_dst[k], tolerance) << "grad_x_dst " << k;
  }
  for (std::size_t k = 0; k < ga.size(); ++k) {
    EXPECT_NEAR(ga[k], 1 + r.grad_att[k], tolerance) << "grad_att " << k;
  }
}

TEST(Gatv2AttentionKernel, MatchesDenseDouble) {
  compare<double>(3, 4, 0.0, 1e-10);
}
TEST(Gatv2AttentionKernel, MatchesDenseWithDropoutDouble) {
  compare<double>(2, 8, 0.5, 1e-10);
}
TEST(Gatv2AttentionKernel, MatchesDenseFloat) {
  compare<float>(8, 8, 0.0, 1e-5);
}
TEST(Gatv2AttentionKernel, MatchesDenseOddWidthsFloat) {
  compare<float>(1, 13, 0.3, 1e-5);
}
TEST(Gatv2AttentionKernel, NodesWithoutInEdges) {
  compare<double>(2, 3, 0.0, 1e-10, false);
}

TEST(Gatv2AttentionKernel, ResultsDoNotDependOnThreadCount) {
  const int n = 3000, H = 4, F = 8;
  const Graph g = random_graph(n, 30000, 9);
  const HeadShape shape{H, F};
  const std::size_t nw = std::size_t(n * H * F), eh = std::size_t(g.num_edges() * H);
  const auto xs = random_values<float>(nw, 10), xd = random_values<float>(nw, 11);
  const auto a = random_values<float>(std::size_t(H * F), 12);
  const auto grad_out = random_values<float>(nw, 13);
  const KeyedDropout<float> drop{0.3f, 14};
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<float> alpha(eh), out(nw), gs(nw), gd(nw), ga(std::size_t(H * F));
    gatv2_attention_forward<float>(g, shape, xs, xd, a, 0.2f, drop, alpha, out);
    std::vector<float> alpha_copy = alpha;
    gatv2_attention_backward<float>(g, shape, xs, xd, a, 0.2f, drop, alpha, out, grad_out, gs, gd,
                                    ga, alpha);  // in place, as the tape does
    return std::vector<std::vector<float>>{out, alpha_copy, gs, gd, ga};
  };
  const auto one = run(1);
  const auto three = run(3);
  set_num_threads(0);
  for (std::size_t k = 0; k < one.size(); ++k) EXPECT_EQ(one[k], three[k]) << "array " << k;
}

}  // namespace
}  // namespace heed::kernels
