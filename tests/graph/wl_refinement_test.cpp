// 1-WL colour refinement: the classic pairs it cannot tell apart, pairs it
// separates, and colours worked out by hand on a path.
#include "heed/graph/wl_refinement.hpp"

#include <gtest/gtest.h>

#include "heed/error.hpp"

namespace heed {
namespace {

Graph undirected(std::int64_t n, const std::vector<std::pair<int, int>>& edges) {
  EdgeList e;
  for (auto [a, b] : edges) {
    e.add(a, b);
    e.add(b, a);
  }
  return Graph(n, e);
}

Graph ring(int n, std::vector<std::pair<int, int>> more = {}) {
  for (int k = 0; k < n; ++k) more.emplace_back(k, (k + 1) % n);
  return undirected(n, more);
}

TEST(WlRefinement, ColoursAPathByDistanceFromItsEnds) {
  // 0-1-2-3-4: round 1 splits the ends (degree 1) from the rest; round 2
  // splits the middle from the ends' neighbours; then it is stable.
  const Graph path = undirected(5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}});
  const std::vector<std::int64_t> c = wl_colours(path);
  EXPECT_EQ(c[0], c[4]);
  EXPECT_EQ(c[1], c[3]);
  EXPECT_NE(c[0], c[1]);
  EXPECT_NE(c[1], c[2]);
  EXPECT_NE(c[0], c[2]);
  // A regular graph stays one colour.
  const std::vector<std::int64_t> r = wl_colours(ring(7));
  EXPECT_EQ(std::count(r.begin(), r.end(), r[0]), 7);
  // Initial colours are refined, not replaced.
  const std::vector<std::int64_t> marked = wl_colours(ring(6), {1, 0, 0, 0, 0, 0});
  EXPECT_EQ(marked[1], marked[5]);
  EXPECT_EQ(marked[2], marked[4]);
  EXPECT_NE(marked[1], marked[2]);
  EXPECT_NE(marked[2], marked[3]);
  EXPECT_THROW(wl_colours(ring(6), {0, 1}), Error);
}

TEST(WlRefinement, CannotTellTwoRegularGraphsOfOneDegreeApart) {
  // A 6-cycle and two triangles; a 3-prism and K_{3,3} (3-regular on 6).
  EXPECT_TRUE(wl_indistinguishable(
      ring(6), undirected(6, {{0, 1}, {1, 2}, {2, 0}, {3, 4}, {4, 5}, {5, 3}})));
  const Graph prism =
      undirected(6, {{0, 1}, {1, 2}, {2, 0}, {3, 4}, {4, 5}, {5, 3}, {0, 3}, {1, 4}, {2, 5}});
  std::vector<std::pair<int, int>> k33;
  for (int a = 0; a < 3; ++a) {
    for (int b = 3; b < 6; ++b) k33.emplace_back(a, b);
  }
  EXPECT_TRUE(wl_indistinguishable(prism, undirected(6, k33)));
}

TEST(WlRefinement, SeparatesGraphsOfEqualSizeWithOtherStructure) {
  // Degrees tell a path from a star; the second round tells these apart:
  // both have degrees 1, 2, 2, 2, 3 (a triangle with a tail of two, and a
  // 4-cycle with a pendant).
  EXPECT_FALSE(wl_indistinguishable(undirected(4, {{0, 1}, {1, 2}, {2, 3}}),
                                    undirected(4, {{0, 1}, {0, 2}, {0, 3}})));
  EXPECT_FALSE(wl_indistinguishable(undirected(5, {{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}}),
                                    undirected(5, {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {0, 4}})));
  EXPECT_FALSE(wl_indistinguishable(ring(5), ring(6)));  // sizes differ
  EXPECT_TRUE(wl_indistinguishable(ring(6), ring(6)));
}

}  // namespace
}  // namespace heed
