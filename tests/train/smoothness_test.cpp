// Over-smoothing measures on vectors worked out by hand.
#include "heed/train/smoothness.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace heed {
namespace {

TEST(Smoothness, MeanPairwiseDistanceOfUnitRows) {
  // Rows (2, 0), (0, 3), (-1, 0) scale to (1, 0), (0, 1), (-1, 0): distances
  // sqrt 2, 2 and sqrt 2, mean (2 + 2 sqrt 2) / 3.
  const Tensor<float> h(3, 2, {2, 0, 0, 3, -1, 0});
  EXPECT_NEAR(train::mean_pairwise_distance(h), (2 + 2 * std::sqrt(2.0)) / 3, 1e-6);
  // Identical directions: no spread at all.
  const Tensor<float> same(3, 2, {1, 1, 2, 2, 5, 5});
  EXPECT_NEAR(train::mean_pairwise_distance(same), 0.0, 1e-7);
}

TEST(Smoothness, DirichletEnergyOverEdgesWithoutSelfLoops) {
  // Edges 0 -> 1, 1 -> 0, 1 -> 2 and a self loop 2 -> 2 (ignored):
  // ||h0 - h1||^2 = 1 + 4 = 5, twice, and ||h1 - h2||^2 = 0 + 1 = 1; / 3 nodes.
  EdgeList edges;
  edges.add(0, 1);
  edges.add(1, 0);
  edges.add(1, 2);
  edges.add(2, 2);
  const Graph g(3, edges);
  const Tensor<float> h(3, 2, {0, 0, 1, 2, 1, 3});
  EXPECT_NEAR(train::dirichlet_energy(h, g), 11.0 / 3.0, 1e-6);
}

}  // namespace
}  // namespace heed
