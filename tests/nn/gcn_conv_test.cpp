// GCNConv against the dense formula D^-1/2 (A + I) D^-1/2 X W + b, computed
// with plain loops in double; gradients by central differences of it.
#include "heed/nn/gcn_conv.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "heed/error.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 6, kIn = 4, kOut = 3;
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 1},
                                              {4, 0}, {0, 4}, {3, 4}, {2, 1}};  // 5 is isolated

Tensor<double> dense_gcn(const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>& b,
                         bool normalize) {
  double a[kNodes][kNodes] = {};  // a[i][j]: edge j -> i, plus I
  for (auto [s, d] : kEdges) a[d][s] = 1;
  for (int i = 0; i < kNodes; ++i) a[i][i] = 1;
  double deg[kNodes] = {};
  for (int i = 0; i < kNodes; ++i)
    for (int j = 0; j < kNodes; ++j) deg[i] += a[i][j];
  Tensor<double> out(kNodes, kOut);
  for (int i = 0; i < kNodes; ++i) {
    for (int c = 0; c < kOut; ++c) {
      double s = 0;
      for (int j = 0; j < kNodes; ++j) {
        if (a[i][j] == 0) continue;
        double xw = 0;
        for (int k = 0; k < kIn; ++k) xw += x(j, k) * w(k, c);
        s += (normalize ? 1 / std::sqrt(deg[i] * deg[j]) : 1.0) * xw;
      }
      out(i, c) = s + b(0, c);
    }
  }
  return out;
}

void compare(bool normalize) {
  using testing::random_tensor;
  const Tensor<double> x = random_tensor(kNodes, kIn, 1), w = random_tensor(kIn, kOut, 2),
                       b = random_tensor(1, kOut, 3);
  nn::GCNConvOptions options{kIn, kOut};
  options.normalize = normalize;
  Rng rng(0);
  nn::GCNConv<double> conv(options, rng);
  conv.parameters()[0]->value = w;
  conv.parameters()[1]->value = b;
  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  const Graph graph(kNodes, edges);
  Tape<double> tape;
  Var<double> xv = tape.variable(x);
  Var<double> out = conv.forward(xv, graph, nn::ForwardContext{});
  const Tensor<double> expected = dense_gcn(x, w, b, normalize);
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_NEAR(out.value().data()[k], expected.data()[k], 1e-12) << k;
  }
  const Tensor<double> r = random_tensor(kNodes, kOut, 4);
  tape.backward(testing::weighted_sum(out, r));
  auto loss = [&](const Tensor<double>& xx, const Tensor<double>& ww) {
    const Tensor<double> o = dense_gcn(xx, ww, b, normalize);
    double s = 0;
    for (std::size_t k = 0; k < o.size(); ++k) s += r.data()[k] * o.data()[k];
    return s;
  };
  const Tensor<double>& gx = *tape.find_grad(xv.id());
  for (std::size_t k = 0; k < x.size(); ++k) {
    Tensor<double> p = x, m = x;
    p.data()[k] += 1e-6;
    m.data()[k] -= 1e-6;
    EXPECT_NEAR(gx.data()[k], (loss(p, w) - loss(m, w)) / 2e-6, 1e-7) << "d x " << k;
  }
  const Tensor<double>& gw = conv.parameters()[0]->grad;
  for (std::size_t k = 0; k < w.size(); ++k) {
    Tensor<double> p = w, m = w;
    p.data()[k] += 1e-6;
    m.data()[k] -= 1e-6;
    EXPECT_NEAR(gw.data()[k], (loss(x, p) - loss(x, m)) / 2e-6, 1e-7) << "d weight " << k;
  }
  // d bias = column sums of r.
  for (int c = 0; c < kOut; ++c) {
    double s = 0;
    for (int i = 0; i < kNodes; ++i) s += r(i, c);
    EXPECT_NEAR(conv.parameters()[1]->grad(0, c), s, 1e-12);
  }
}

TEST(GCNConv, MatchesDenseNormalisedPropagation) {
  compare(true);
}
TEST(GCNConv, UnnormalisedSumsNeighbours) {
  compare(false);
}

TEST(GCNConv, RejectsBadShapes) {
  Rng rng(0);
  EXPECT_THROW(nn::GCNConv<double>(nn::GCNConvOptions{0, 3}, rng), Error);
  nn::GCNConv<double> conv(nn::GCNConvOptions{4, 3}, rng);
  Tape<double> tape;
  const Graph graph(2, EdgeList{});
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(2, 5)), graph, nn::ForwardContext{}),
               Error);
}

}  // namespace
}  // namespace heed
