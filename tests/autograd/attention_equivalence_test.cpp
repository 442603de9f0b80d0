// "Transformers are graph neural networks", checked (issue #5): scaled
// dot-product attention on the complete graph with self loops is dense
// multi-head self-attention, and on any graph it is dense attention masked
// by the adjacency; the same outputs and the same N x N attention matrices.
// Also the finite-difference gradient checks of both ops.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;
using Vars = std::vector<Var<double>>;

Graph complete_graph(int n) {
  EdgeList e;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) e.add(NodeId(j), NodeId(i));
  return Graph(n, e);
}

// Five nodes; node 4 has no in-edges; node 1 has a self loop.
Graph sparse_graph() {
  EdgeList e;
  for (auto [s, d] : std::vector<std::pair<int, int>>{
           {1, 0}, {2, 0}, {3, 0}, {0, 1}, {1, 1}, {2, 1}, {0, 2}, {4, 3}, {4, 2}})
    e.add(NodeId(s), NodeId(d));
  return Graph(5, e);
}

std::shared_ptr<const std::vector<std::uint8_t>> adjacency_mask(const Graph& g) {
  const std::size_t n = std::size_t(g.num_nodes());
  auto mask = std::make_shared<std::vector<std::uint8_t>>(n * n, 0);
  const std::vector<NodeId> dst = g.edge_dst();
  for (std::size_t e = 0; e < dst.size(); ++e)
    (*mask)[std::size_t(dst[e]) * n + g.edge_src()[e]] = 1;
  return mask;
}

// The graph's coefficients as (H * N) x N dense matrices: A_h[i][j] = alpha of j -> i.
template <class T>
Tensor<T> dense_from_edges(const Graph& g, const Tensor<T>& alpha) {
  const std::size_t n = std::size_t(g.num_nodes()), heads = alpha.cols();
  Tensor<T> a(heads * n, n);
  const std::vector<NodeId> dst = g.edge_dst();
  for (std::size_t e = 0; e < dst.size(); ++e)
    for (std::size_t h = 0; h < heads; ++h)
      a(h * n + std::size_t(dst[e]), g.edge_src()[e]) = alpha(e, h);
  return a;
}

template <class T>
Tensor<T> random_of(std::size_t rows, std::size_t cols, unsigned seed) {
  const Tensor<double> r = random_tensor(rows, cols, seed, -1.5, 1.5);
  Tensor<T> t(rows, cols);
  for (std::size_t k = 0; k < r.size(); ++k) t.data()[k] = T(r.data()[k]);
  return t;
}

template <class T>
void expect_same(const Graph& g, std::shared_ptr<const std::vector<std::uint8_t>> mask, int heads,
                 int d, double tol) {
  const std::size_t n = std::size_t(g.num_nodes()), w = std::size_t(heads * d);
  Tape<T> tape;
  const Var<T> q = tape.constant(random_of<T>(n, w, 1)), k = tape.constant(random_of<T>(n, w, 2)),
               v = tape.constant(random_of<T>(n, w, 3));
  Tensor<T> alpha, dense_attention;
  const Tensor<T> sparse =
      ops::graph_dot_attention(q, k, v, g, kernels::HeadShape{heads, d}, {}, &alpha).value();
  const Tensor<T> dense = ops::dense_attention(q, k, v, heads, mask, &dense_attention).value();
  ASSERT_TRUE(sparse.same_shape(dense));
  for (std::size_t x = 0; x < sparse.size(); ++x) {
    EXPECT_NEAR(sparse.data()[x], dense.data()[x], tol) << "output " << x;
  }
  const Tensor<T> from_edges = dense_from_edges(g, alpha);
  ASSERT_TRUE(from_edges.same_shape(dense_attention));
  for (std::size_t x = 0; x < from_edges.size(); ++x) {
    EXPECT_NEAR(from_edges.data()[x], dense_attention.data()[x], tol) << "attention " << x;
  }
}

TEST(TransformersAreGnns, CompleteGraphIsDenseSelfAttentionInDouble) {
  expect_same<double>(complete_graph(9), nullptr, 3, 4, 1e-10);
}
TEST(TransformersAreGnns, CompleteGraphIsDenseSelfAttentionInFloat) {
  expect_same<float>(complete_graph(9), nullptr, 3, 4, 1e-5);
}
// 37 nodes: rows longer than the softmax's 16 vector lanes, plus a tail.
TEST(TransformersAreGnns, CompleteGraphIsDenseSelfAttentionPastTheVectorLanes) {
  expect_same<double>(complete_graph(37), nullptr, 2, 3, 1e-10);
  expect_same<float>(complete_graph(37), nullptr, 2, 3, 1e-5);
}
TEST(TransformersAreGnns, MaskedDenseAttentionIsGraphAttentionInDouble) {
  const Graph g = sparse_graph();
  expect_same<double>(g, adjacency_mask(g), 2, 3, 1e-10);
}
TEST(TransformersAreGnns, MaskedDenseAttentionIsGraphAttentionInFloat) {
  const Graph g = sparse_graph();
  expect_same<float>(g, adjacency_mask(g), 2, 3, 1e-5);
}

TEST(OpsGradient, GraphDotAttention) {
  const Graph g = sparse_graph();
  expect_gradients_match({random_tensor(5, 6, 4), random_tensor(5, 6, 5), random_tensor(5, 6, 6)},
                         [&](Tape<double>&, const Vars& v) {
                           return ops::graph_dot_attention(v[0], v[1], v[2], g, {2, 3});
                         });
}
TEST(OpsGradient, GraphDotAttentionWithDropoutAndSharedInputs) {
  const Graph g = complete_graph(4);
  expect_gradients_match(
      {random_tensor(4, 4, 7), random_tensor(4, 4, 8)}, [&](Tape<double>&, const Vars& v) {
        return ops::graph_dot_attention(v[0], v[0], v[1], g, {2, 2}, KeyedDropout<double>{0.3, 17});
      });
}
TEST(OpsGradient, DenseAttention) {
  expect_gradients_match(
      {random_tensor(5, 6, 9), random_tensor(5, 6, 10), random_tensor(5, 6, 11)},
      [](Tape<double>&, const Vars& v) { return ops::dense_attention(v[0], v[1], v[2], 2); });
}
TEST(OpsGradient, DenseAttentionPastTheVectorLanes) {
  expect_gradients_match(
      {random_tensor(37, 4, 15), random_tensor(37, 4, 16), random_tensor(37, 4, 17)},
      [](Tape<double>&, const Vars& v) { return ops::dense_attention(v[0], v[1], v[2], 2); });
}
TEST(OpsGradient, DenseAttentionMasked) {
  const auto mask = adjacency_mask(sparse_graph());
  expect_gradients_match(
      {random_tensor(5, 6, 12), random_tensor(5, 6, 13), random_tensor(5, 6, 14)},
      [&](Tape<double>&, const Vars& v) {
        return ops::dense_attention(v[0], v[1], v[2], 3, mask);
      });
}

}  // namespace
}  // namespace heed
