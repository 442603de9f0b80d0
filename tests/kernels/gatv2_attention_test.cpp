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
