// Laplacian encodings against spectra known in closed form (cycles and paths)
// and against the eigen-equation L v = lambda v with L built here by hand.
#include "heed/graph/laplacian_encoding.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <set>
#include <vector>

#include "heed/error.hpp"

namespace heed {
namespace {

constexpr double kPi = std::numbers::pi;

Graph undirected(std::int64_t n, const std::vector<std::pair<int, int>>& edges) {
  EdgeList list;
  for (auto [a, b] : edges) list.add(a, b);
  return Graph(n, list, {.symmetrise = true});
}

std::vector<std::pair<int, int>> cycle(int first, int n) {
  std::vector<std::pair<int, int>> e;
  for (int i = 0; i < n; ++i) e.emplace_back(first + i, first + (i + 1) % n);
  return e;
}

// Dense L = I - D^-1/2 A D^-1/2 from an undirected edge set, written out
// directly (isolated nodes: a zero row).
std::vector<double> dense_laplacian(std::int64_t n, const std::vector<std::pair<int, int>>& edges) {
  std::set<std::pair<int, int>> a;
  for (auto [i, j] : edges) {
    if (i == j) continue;
    a.insert({i, j});
    a.insert({j, i});
  }
  std::vector<double> deg(std::size_t(n), 0.0);
  for (auto [i, j] : a) deg[std::size_t(i)] += 1;
  std::vector<double> l(std::size_t(n * n), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    if (deg[std::size_t(i)] > 0) l[std::size_t(i * n + i)] = 1.0;
  }
  for (auto [i, j] : a) {
    l[std::size_t(i) * std::size_t(n) + std::size_t(j)] -=
        1.0 / std::sqrt(deg[std::size_t(i)] * deg[std::size_t(j)]);
  }
  return l;
}

double column(const LaplacianEncoding& e, std::int64_t i, int c) {
  return e.vectors[std::size_t(i) * std::size_t(e.k) + std::size_t(c)];
}

// Each found column: unit length, L v = lambda v, orthogonal to the others
// and to every component's null vector D^1/2 1; entry of largest magnitude
// positive.
void expect_eigenvectors(const LaplacianEncoding& e, const std::vector<double>& l,
                         const std::vector<std::vector<int>>& components) {
  const std::int64_t n = e.nodes;
  for (int c = 0; c < e.found; ++c) {
    double norm = 0, peak = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      norm += column(e, i, c) * column(e, i, c);
      peak = std::max(peak, std::abs(column(e, i, c)));
    }
    EXPECT_NEAR(norm, 1.0, 1e-10) << "column " << c;
    for (std::int64_t i = 0; i < n; ++i) {
      if (std::abs(column(e, i, c)) >= peak * (1 - 1e-6)) {
        EXPECT_GT(column(e, i, c), 0.0) << "column " << c << ": the first peak sets the sign";
        break;
      }
    }
    double residual = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      double lv = 0;
      for (std::int64_t j = 0; j < n; ++j) lv += l[std::size_t(i * n + j)] * column(e, j, c);
      residual = std::max(residual, std::abs(lv - e.eigenvalues[std::size_t(c)] * column(e, i, c)));
    }
    EXPECT_LT(residual, 1e-8) << "column " << c;
    for (int d = 0; d < c; ++d) {
      double dot = 0;
      for (std::int64_t i = 0; i < n; ++i) dot += column(e, i, c) * column(e, i, d);
      EXPECT_NEAR(dot, 0.0, 1e-8) << "columns " << c << ", " << d;
    }
    for (const auto& comp : components) {
      double dot = 0;
      for (int i : comp) {
        double deg = 0;
        for (std::int64_t j = 0; j < n; ++j) deg += l[std::size_t(i * n + j)] != 0 && j != i;
        dot += std::sqrt(deg) * column(e, i, c);
      }
      EXPECT_NEAR(dot, 0.0, 1e-8) << "column " << c << " against a component's null vector";
    }
  }
}

class LaplacianEncodingSolvers : public ::testing::TestWithParam<EigenSolver> {};

TEST_P(LaplacianEncodingSolvers, CycleHasItsClosedFormSpectrum) {
  const int n = 40, k = 5;
  const auto edges = cycle(0, n);
  const LaplacianEncoding e = laplacian_encoding(undirected(n, edges), k, GetParam());
  ASSERT_EQ(e.found, k);
  EXPECT_EQ(e.components, 1);
  // 1 - cos(2 pi j / n), j = 1, 1, 2, 2, 3: each but j = n/2 twice.
  const int js[] = {1, 1, 2, 2, 3};
  for (int c = 0; c < k; ++c) {
    EXPECT_NEAR(e.eigenvalues[std::size_t(c)], 1.0 - std::cos(2 * kPi * js[c] / n), 1e-9);
  }
  std::vector<int> all(n);
  for (int i = 0; i < n; ++i) all[std::size_t(i)] = i;
  expect_eigenvectors(e, dense_laplacian(n, edges), {all});
}

TEST_P(LaplacianEncodingSolvers, ComponentsAreSkippedAndIsolatedNodesGetZeros) {
  // A 12-cycle (nodes 0-11), a 6-node path (12-17) and an isolated node 18.
  auto edges = cycle(0, 12);
  for (int i = 12; i < 17; ++i) edges.emplace_back(i, i + 1);
  const int n = 19, k = 6;
  const LaplacianEncoding e = laplacian_encoding(undirected(n, edges), k, GetParam());
  EXPECT_EQ(e.components, 3);
  ASSERT_EQ(e.found, k);
  // Non-zero spectrum: the cycle's 1 - cos(2 pi j / 12), j = 1..11, and the
  // path's 1 - cos(pi j / 5), j = 1..5.
  std::vector<double> expected;
  for (int j = 1; j < 12; ++j) expected.push_back(1 - std::cos(2 * kPi * j / 12));
  for (int j = 1; j <= 5; ++j) expected.push_back(1 - std::cos(kPi * j / 5));
  std::sort(expected.begin(), expected.end());
  for (int c = 0; c < k; ++c) {
    EXPECT_NEAR(e.eigenvalues[std::size_t(c)], expected[std::size_t(c)], 1e-9) << "column " << c;
  }
  for (int c = 0; c < k; ++c) EXPECT_EQ(column(e, 18, c), 0.0);
  std::vector<int> ring(12), path(6);
  for (int i = 0; i < 12; ++i) ring[std::size_t(i)] = i;
  for (int i = 0; i < 6; ++i) path[std::size_t(i)] = 12 + i;
  expect_eigenvectors(e, dense_laplacian(n, edges), {ring, path});
}

INSTANTIATE_TEST_SUITE_P(DenseAndSparse, LaplacianEncodingSolvers,
                         ::testing::Values(EigenSolver::kDense, EigenSolver::kSparse),
                         [](const auto& info) {
                           return info.param == EigenSolver::kDense ? "Dense" : "Sparse";
                         });

TEST(LaplacianEncoding, DirectionAndSelfLoopsDoNotMatter) {
  const int n = 30;
  EdgeList one_way;
  for (int i = 0; i < n; ++i) one_way.add(i, (i + 1) % n);
  for (int i = 0; i < n; i += 3) one_way.add(i, i);  // self loops
  const LaplacianEncoding a = laplacian_encoding(Graph(n, one_way), 4);
  const LaplacianEncoding b = laplacian_encoding(undirected(n, cycle(0, n)), 4);
  ASSERT_EQ(a.found, 4);
  for (int c = 0; c < 4; ++c)
    EXPECT_NEAR(a.eigenvalues[std::size_t(c)], b.eigenvalues[std::size_t(c)], 1e-12);
}

TEST(LaplacianEncoding, SmallGraphsArePaddedWithZeros) {
  // A triangle: eigenvalues 0, 3/2, 3/2, so two columns, then padding.
  const LaplacianEncoding e = laplacian_encoding(undirected(3, {{0, 1}, {1, 2}, {2, 0}}), 4);
  EXPECT_EQ(e.found, 2);
  EXPECT_NEAR(e.eigenvalues[0], 1.5, 1e-12);
  EXPECT_NEAR(e.eigenvalues[1], 1.5, 1e-12);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(column(e, i, 2), 0.0);
    EXPECT_EQ(column(e, i, 3), 0.0);
  }
  // No edges at all: nothing to encode.
  const LaplacianEncoding none = laplacian_encoding(Graph(5, EdgeList{}), 3);
  EXPECT_EQ(none.found, 0);
  EXPECT_EQ(none.components, 5);
}

TEST(LaplacianEncoding, SparseAndDenseSolversAgreeOnARandomGraph) {
  // 500 nodes, mean degree about 4, several components likely.
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> node(0, 499);
  std::vector<std::pair<int, int>> edges;
  for (int e = 0; e < 1000; ++e) edges.emplace_back(node(gen), node(gen));
  const Graph g = undirected(500, edges);
  const LaplacianEncoding dense = laplacian_encoding(g, 8, EigenSolver::kDense);
  const LaplacianEncoding sparse = laplacian_encoding(g, 8, EigenSolver::kSparse);
  ASSERT_EQ(dense.found, 8);
  ASSERT_EQ(sparse.found, 8);
  EXPECT_EQ(dense.components, sparse.components);
  for (int c = 0; c < 8; ++c) {
    EXPECT_NEAR(sparse.eigenvalues[std::size_t(c)], dense.eigenvalues[std::size_t(c)], 1e-9);
    EXPECT_GT(dense.eigenvalues[std::size_t(c)], 1e-6);  // no null vector slipped in
  }
  const auto l = dense_laplacian(500, edges);
  expect_eigenvectors(sparse, l, {});
  expect_eigenvectors(dense, l, {});
}

// A batch's encodings are each graph's own: a 5-cycle and a 4-path side by
// side get exactly what each gets alone, though the union's spectrum
// interleaves theirs.
TEST(LaplacianEncoding, PerGraphEncodingsOfABatchAreEachGraphsOwn) {
  std::vector<std::pair<int, int>> edges = cycle(0, 5);
  for (auto e : std::vector<std::pair<int, int>>{{5, 6}, {6, 7}, {7, 8}}) edges.push_back(e);
  const Graph batch = undirected(9, edges);
  const std::vector<std::int64_t> offsets{0, 5, 9};
  const int k = 3;
  const std::vector<double> both = laplacian_encodings_per_graph(batch, offsets, k);
  const LaplacianEncoding ring = laplacian_encoding(undirected(5, cycle(0, 5)), k);
  const LaplacianEncoding path = laplacian_encoding(undirected(4, {{0, 1}, {1, 2}, {2, 3}}), k);
  ASSERT_EQ(both.size(), 9u * k);
  for (std::size_t i = 0; i < ring.vectors.size(); ++i) EXPECT_EQ(both[i], ring.vectors[i]);
  for (std::size_t i = 0; i < path.vectors.size(); ++i) {
    EXPECT_EQ(both[5 * k + i], path.vectors[i]);
  }
  // The union's own encoding differs: its columns span both graphs.
  const LaplacianEncoding joint = laplacian_encoding(batch, k);
  double apart = 0;
  for (std::size_t i = 0; i < both.size(); ++i) {
    apart = std::max(apart, std::abs(std::abs(both[i]) - std::abs(joint.vectors[i])));
  }
  EXPECT_GT(apart, 0.1);
  // An edge across the two graphs is an error, as are offsets that miss nodes.
  edges.emplace_back(4, 5);
  EXPECT_THROW(laplacian_encodings_per_graph(undirected(9, edges), offsets, k), Error);
  const std::vector<std::int64_t> short_offsets{0, 5};
  EXPECT_THROW(laplacian_encodings_per_graph(batch, short_offsets, k), Error);
}

TEST(LaplacianEncoding, RejectsNonPositiveK) {
  EXPECT_THROW(laplacian_encoding(undirected(3, {{0, 1}}), 0), Error);
}

}  // namespace
}  // namespace heed
