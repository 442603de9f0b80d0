// The random graph generators behind the benchmarks: ranges, determinism,
// and the degree shapes they promise.
#include "heed/data/random_graph.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"

namespace heed::data {
namespace {

std::vector<std::int64_t> in_degrees(const EdgeList& e, std::int64_t n) {
  std::vector<std::int64_t> deg(std::size_t(n), 0);
  for (NodeId d : e.dst) ++deg[std::size_t(d)];
  return deg;
}

TEST(RandomGraph, UniformEdgesAreInRangeSeededAndEven) {
  const EdgeList a = uniform_random_edges(1000, 200000, 3);
  ASSERT_EQ(a.size(), 200000u);
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_TRUE(a.src[k] >= 0 && a.src[k] < 1000 && a.dst[k] >= 0 && a.dst[k] < 1000);
  }
  const EdgeList b = uniform_random_edges(1000, 200000, 3);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  EXPECT_NE(a.src, uniform_random_edges(1000, 200000, 4).src);
  // 200 expected per node; a binomial's spread is about 14.
  const auto deg = in_degrees(a, 1000);
  EXPECT_GT(*std::min_element(deg.begin(), deg.end()), 120);
  EXPECT_LT(*std::max_element(deg.begin(), deg.end()), 280);
}

TEST(RandomGraph, RmatIsSkewedAndDoesNotDependOnThreads) {
  set_num_threads(1);
  const EdgeList a = rmat_edges(5000, 100000, 7);  // not a power of two: ids are redrawn
  set_num_threads(3);
  const EdgeList b = rmat_edges(5000, 100000, 7);
  set_num_threads(0);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_TRUE(a.src[k] >= 0 && a.src[k] < 5000 && a.dst[k] >= 0 && a.dst[k] < 5000);
  }
  const auto deg = in_degrees(a, 5000);
  const std::int64_t top = *std::max_element(deg.begin(), deg.end());
  EXPECT_GT(top, 50 * 20);  // a hub, far above the mean of 20
}

TEST(RandomGraph, RejectsBadSizes) {
  EXPECT_THROW(uniform_random_edges(0, 10, 0), Error);
  EXPECT_THROW(rmat_edges(10, -1, 0), Error);
  EXPECT_THROW(rmat_edges(10, 10, 0, RmatOptions{0.6, 0.3, 0.3}), Error);
}

}  // namespace
}  // namespace heed::data
