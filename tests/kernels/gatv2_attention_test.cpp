// GATv2's attention kernels: the same numbers on any thread count. Their
// values and gradients against a reference written from the paper's formula
// are the kernel catalogue's (kernel_catalogue_test.cpp).
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

TEST(Gatv2AttentionKernel, ResultsDoNotDependOnThreadCount) {
  const int n = 3000;
  const Graph g = random_graph(n, 30000, 9);
  // 4 heads take the scalar path, 8 x 8 the register-blocked one.
  for (const HeadShape shape : {HeadShape{4, 8}, HeadShape{8, 8}}) {
    const int H = shape.heads, W = shape.width();
    const std::size_t nw = std::size_t(n * W), eh = std::size_t(g.num_edges() * H);
    const auto xs = random_values<float>(nw, 10), xd = random_values<float>(nw, 11);
    const auto a = random_values<float>(std::size_t(W), 12);
    const auto bias = random_values<float>(std::size_t(W), 15);
    const auto grad_out = random_values<float>(nw, 13);
    const KeyedDropout<float> drop{0.3f, 14};
    auto run = [&](int threads) {
      set_num_threads(threads);
      std::vector<float> alpha(eh), out(nw), gs(nw), gd(nw), ga(static_cast<std::size_t>(W));
      std::vector<float> terms(std::size_t(n * kGatv2NodeTerms * H));
      gatv2_attention_forward<float>(g, shape, xs, xd, a, 0.2f, drop, out, terms, bias, alpha);
      gatv2_attention_backward<float>(g, shape, xs, xd, a, 0.2f, drop, out, bias, terms, grad_out,
                                      gs, gd, ga);
      return std::vector<std::vector<float>>{out, alpha, gs, gd, ga, terms};
    };
    const auto one = run(1);
    const auto three = run(3);
    set_num_threads(0);
    for (std::size_t k = 0; k < one.size(); ++k) {
      EXPECT_EQ(one[k], three[k]) << "array " << k << ", " << H << " heads";
    }
  }
}

// The backward reads only what the forward left, and writes its c slots
// before reading them: run twice from the same state, it gives the same
// gradients (as torch's retain_graph needs).
TEST(Gatv2AttentionKernel, BackwardRunsTwiceFromTheSameState) {
  const int n = 500;
  const Graph g = random_graph(n, 4000, 16);
  const HeadShape shape{8, 8};
  const std::size_t nw = std::size_t(n * shape.width());
  const auto xs = random_values<float>(nw, 17), xd = random_values<float>(nw, 18);
  const auto a = random_values<float>(std::size_t(shape.width()), 19);
  const auto grad_out = random_values<float>(nw, 20);
  std::vector<float> out(nw), terms(std::size_t(n * kGatv2NodeTerms * shape.heads));
  gatv2_attention_forward<float>(g, shape, xs, xd, a, 0.2f, {}, out, terms);
  std::vector<float> first(nw), second(nw);
  gatv2_attention_backward<float>(g, shape, xs, xd, a, 0.2f, {}, out, {}, terms, grad_out, first,
                                  {}, {});
  gatv2_attention_backward<float>(g, shape, xs, xd, a, 0.2f, {}, out, {}, terms, grad_out, second,
                                  {}, {});
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace heed::kernels
