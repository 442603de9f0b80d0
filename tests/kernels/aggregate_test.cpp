// GCN's and the mean's edge weights against their formulas, and the same
// numbers on any thread count. The aggregation itself against a reference is
// the kernel catalogue's (kernel_catalogue_test.cpp).
#include "heed/kernels/aggregate.hpp"

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

TEST(AggregateKernel, GcnWeightsAreSymmetricNormalisation) {
  const Graph g = random_graph(30, 120, 5);
  const auto w = gcn_edge_weights<double>(g);
  const std::vector<NodeId> dst = g.edge_dst();
  for (EdgeId e = 0; e < g.num_edges(); ++e) {
    const NodeId i = dst[std::size_t(e)], j = g.edge_src()[std::size_t(e)];
    const double di = double(g.in().neighbours(i).size()), dj = double(g.in().neighbours(j).size());
    EXPECT_NEAR(w[std::size_t(e)], 1 / std::sqrt(di * dj), 1e-15);
  }
  const auto m = mean_edge_weights<double>(g);
  for (std::int64_t i = 0; i < g.num_nodes(); ++i) {
    double total = 0;
    for (EdgeId e = g.in().indptr[std::size_t(i)]; e < g.in().indptr[std::size_t(i) + 1]; ++e) {
      total += m[std::size_t(e)];
    }
    EXPECT_NEAR(total, 1.0, 1e-12);
  }
}

TEST(AggregateKernel, ResultsDoNotDependOnThreadCount) {
  const Graph g = random_graph(5000, 50000, 6);
  const auto w = gcn_edge_weights<float>(g);
  const auto z = random_values<float>(std::size_t(5000 * 64), 7);
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<float> out(z.size()), back(z.size());
    weighted_aggregate<float>(g, w, z, 64, out);
    weighted_aggregate_transpose<float>(g, w, z, 64, back);
    return std::pair{out, back};
  };
  const auto one = run(1), three = run(3);
  set_num_threads(0);
  EXPECT_EQ(one.first, three.first);
  EXPECT_EQ(one.second, three.second);
}

}  // namespace
}  // namespace heed::kernels
