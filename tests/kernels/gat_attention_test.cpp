// GAT's attention kernels: the same numbers on any thread count, a node
// without in-edges, large scores. Their values and gradients against a
// reference are the kernel catalogue's (kernel_catalogue_test.cpp).
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
      std::vector<float> alpha(E * H), out(n * W), gz(n * W), gs(n * H), gd(n * H);
      std::vector<float> terms(n * kGatNodeTerms * H), positive(n * W);
      const auto bias = random_values<float>(W, 12);
      const GatState<float> state{terms, positive};
      gat_attention_forward<float>(g, shape, z, s_src, s_dst, 0.2f, drop, out, state, bias, alpha);
      gat_attention_backward<float>(g, shape, z, s_src, 0.2f, drop, out, bias, terms, positive,
                                    grad_out, gz, gs, gd);
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
  gat_attention_forward<double>(g, shape, z, s, s, 0.2, {}, out, {}, {}, alpha);
  EXPECT_EQ(out, (std::vector<double>{0, 0, 1, 2}));
  EXPECT_EQ(alpha[0], 1.0);
  // With a bias, node 0 gets the bias alone.
  const std::vector<double> bias{0.25, -0.5};
  gat_attention_forward<double>(g, shape, z, s, s, 0.2, {}, out, {}, bias);
  EXPECT_EQ(out, (std::vector<double>{0.25, -0.5, 1.25, 1.5}));
}

TEST(GatAttentionKernel, LargeScoresStayFinite) {
  const Graph g = random_graph(10, 30, 12);
  const HeadShape shape{1, 1};
  std::vector<double> z(10, 1.0), s_src(10), s_dst(10, 0.0), alpha(std::size_t(g.num_edges())),
      out(10);
  for (int j = 0; j < 10; ++j) s_src[std::size_t(j)] = 1000.0 * j;
  gat_attention_forward<double>(g, shape, z, s_src, s_dst, 0.2, {}, out, {}, {}, alpha);
  for (double v : out) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_NEAR(v, 1.0, 1e-12);  // a convex combination of ones
  }
}

}  // namespace
}  // namespace heed::kernels
