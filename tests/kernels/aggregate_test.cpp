// Weighted aggregation against a dense product with the weighted adjacency,
// and GCN's normalisation against its formula.
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

template <class T>
void compare(int width, double tolerance) {
  const int n = 40;
  const Graph g = random_graph(n, 200, 1);
  const auto w = random_values<T>(std::size_t(g.num_edges()), 2);
  const auto z = random_values<T>(std::size_t(n * width), 3);
  const auto grad_out = random_values<T>(std::size_t(n * width), 4);
  // Dense A[i][j] = w of the edge j -> i.
  std::vector<double> A(std::size_t(n * n), 0);
  const std::vector<NodeId> dst = g.edge_dst();
  for (EdgeId e = 0; e < g.num_edges(); ++e) {
    A[std::size_t(dst[std::size_t(e)] * n + g.edge_src()[std::size_t(e)])] =
        double(w[std::size_t(e)]);
  }
  std::vector<T> out(std::size_t(n * width), T(7));  // overwritten
  weighted_aggregate<T>(g, w, z, width, out);
  std::vector<T> grad_z(std::size_t(n * width), T(1));  // accumulated into
  weighted_aggregate_transpose<T>(g, w, grad_out, width, grad_z);
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < width; ++c) {
      double want = 0, want_grad = 1;
      for (int j = 0; j < n; ++j) {
        want += A[std::size_t(i * n + j)] * double(z[std::size_t(j * width + c)]);
        want_grad += A[std::size_t(j * n + i)] * double(grad_out[std::size_t(j * width + c)]);
      }
      EXPECT_NEAR(out[std::size_t(i * width + c)], want, tolerance);
      EXPECT_NEAR(grad_z[std::size_t(i * width + c)], want_grad, tolerance);
    }
  }
}

TEST(AggregateKernel, MatchesDenseDouble) {
  compare<double>(5, 1e-12);
}
TEST(AggregateKernel, MatchesDenseFloatVectorWidths) {
  compare<float>(64, 1e-5);
  compare<float>(19, 1e-5);
}

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
