// GCN's and the mean's node scales against their formulas, the sums they give
// against per-edge normalisation written out, and the same numbers on any
// thread count. The aggregation against the catalogue's reference (with a
// bias) is kernel_catalogue_test.cpp's.
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

TEST(AggregateKernel, GcnScalesAreSymmetricNormalisation) {
  const Graph g = random_graph(30, 120, 5);
  const auto s = gcn_scales<double>(g);
  ASSERT_EQ(s.source.size(), std::size_t(g.num_nodes()));
  for (std::int64_t i = 0; i < g.num_nodes(); ++i) {
    const double deg = double(g.in().neighbours(i).size());
    EXPECT_NEAR(s.source[std::size_t(i)], deg > 0 ? 1 / std::sqrt(deg) : 0.0, 1e-15);
    EXPECT_EQ(s.source[std::size_t(i)], s.destination[std::size_t(i)]);
  }
  const auto m = mean_scales<double>(g);
  EXPECT_TRUE(m.source.empty());
  for (std::int64_t i = 0; i < g.num_nodes(); ++i) {
    const double deg = double(g.in().neighbours(i).size());
    EXPECT_EQ(m.destination[std::size_t(i)], deg > 0 ? 1 / deg : 0.0);
  }
}

// The mean of each node's in-neighbours and the plain sum, written out per
// edge, forward and transposed.
TEST(AggregateKernel, MeanAndPlainSumsMatchTheirDefinitions) {
  const Graph g = random_graph(40, 150, 8, false);  // some nodes without in-edges
  const int w = 5;
  const auto z = random_values<double>(std::size_t(40 * w), 9);
  const auto gout = random_values<double>(std::size_t(40 * w), 10);
  const std::vector<NodeId> dst = g.edge_dst();
  for (bool mean : {true, false}) {
    const AggregateScales<double> s = mean ? mean_scales<double>(g) : AggregateScales<double>{};
    std::vector<double> out(z.size(), 7.0), back(z.size(), 1.0);
    scaled_aggregate<double>(g, s, z, w, out);
    scaled_aggregate_transpose<double>(g, s, gout, w, back);
    std::vector<double> want(z.size(), 0.0), want_back(z.size(), 1.0);
    for (EdgeId e = 0; e < g.num_edges(); ++e) {
      const std::size_t i = std::size_t(dst[std::size_t(e)]);
      const std::size_t j = std::size_t(g.edge_src()[std::size_t(e)]);
      const double k = mean ? 1.0 / double(g.in().neighbours(std::int64_t(i)).size()) : 1.0;
      for (int c = 0; c < w; ++c) {
        want[i * w + c] += k * z[j * w + c];
        want_back[j * w + c] += k * gout[i * w + c];
      }
    }
    for (std::size_t k = 0; k < z.size(); ++k) {
      EXPECT_NEAR(out[k], want[k], 1e-12) << k;
      EXPECT_NEAR(back[k], want_back[k], 1e-12) << k;
    }
  }
}

TEST(AggregateKernel, ResultsDoNotDependOnThreadCount) {
  const Graph g = random_graph(5000, 50000, 6);
  const auto s = gcn_scales<float>(g);
  const auto z = random_values<float>(std::size_t(5000 * 64), 7);
  const auto bias = random_values<float>(64, 8);
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<float> out(z.size()), back(z.size());
    scaled_aggregate<float>(g, s, z, 64, out, bias);
    scaled_aggregate_transpose<float>(g, s, z, 64, back);
    return std::pair{out, back};
  };
  const auto one = run(1), three = run(3);
  set_num_threads(0);
  EXPECT_EQ(one.first, three.first);
  EXPECT_EQ(one.second, three.second);
}

}  // namespace
}  // namespace heed::kernels
