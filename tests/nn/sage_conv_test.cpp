// SAGEConv (mean aggregation) against its formula with plain loops in double:
//   h_i = W_root x_i + W_nbr mean_{j -> i} x_j + b
// gradients by central differences of the formula.
#include "heed/nn/sage_conv.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "heed/error.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 6, kIn = 3, kOut = 2;
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {2, 1}, {3, 1},
                                              {4, 2}, {0, 2}, {5, 5}};  // 3 and 4 get none

Tensor<double> dense_sage(const Tensor<double>& x, const Tensor<double>& wn,
                          const Tensor<double>& wr, const Tensor<double>& b) {
  Tensor<double> out(kNodes, kOut);
  for (int i = 0; i < kNodes; ++i) {
    std::vector<double> mean(kIn, 0.0);
    int deg = 0;
    for (auto [s, d] : kEdges) {
      if (d != i) continue;
      ++deg;
      for (int k = 0; k < kIn; ++k) mean[std::size_t(k)] += x(s, k);
    }
    for (int c = 0; c < kOut; ++c) {
      double v = b(0, c);
      for (int k = 0; k < kIn; ++k) {
        v += x(i, k) * wr(k, c) + (deg > 0 ? mean[std::size_t(k)] / deg : 0.0) * wn(k, c);
      }
      out(i, c) = v;
    }
  }
  return out;
}

TEST(SAGEConv, MatchesDenseMeanAggregation) {
  using testing::random_tensor;
  const Tensor<double> x = random_tensor(kNodes, kIn, 1), wn = random_tensor(kIn, kOut, 2),
                       wr = random_tensor(kIn, kOut, 3), b = random_tensor(1, kOut, 4);
  Rng rng(0);
  nn::SAGEConv<double> conv(nn::SAGEConvOptions{kIn, kOut}, rng);
  auto params = conv.parameters();  // weight_nbr, weight_root, bias
  params[0]->value = wn;
  params[1]->value = wr;
  params[2]->value = b;
  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  const Graph graph(kNodes, edges);
  Tape<double> tape;
  Var<double> xv = tape.variable(x);
  Var<double> out = conv.forward(xv, graph, nn::ForwardContext{});
  const Tensor<double> expected = dense_sage(x, wn, wr, b);
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_NEAR(out.value().data()[k], expected.data()[k], 1e-12) << k;
  }
  const Tensor<double> r = random_tensor(kNodes, kOut, 5);
  tape.backward(testing::weighted_sum(out, r));
  auto loss = [&](const Tensor<double>& xx, const Tensor<double>& n, const Tensor<double>& rt) {
    const Tensor<double> o = dense_sage(xx, n, rt, b);
    double s = 0;
    for (std::size_t k = 0; k < o.size(); ++k) s += r.data()[k] * o.data()[k];
    return s;
  };
  auto check = [&](const Tensor<double>& analytic, int which, const char* what) {
    const Tensor<double>* base[3] = {&x, &wn, &wr};
    for (std::size_t k = 0; k < analytic.size(); ++k) {
      Tensor<double> plus = *base[which], minus = *base[which];
      plus.data()[k] += 1e-6;
      minus.data()[k] -= 1e-6;
      const Tensor<double>* p[3] = {&x, &wn, &wr};
      const Tensor<double>* m[3] = {&x, &wn, &wr};
      p[which] = &plus;
      m[which] = &minus;
      const double numeric = (loss(*p[0], *p[1], *p[2]) - loss(*m[0], *m[1], *m[2])) / 2e-6;
      EXPECT_NEAR(analytic.data()[k], numeric, 1e-7) << what << " " << k;
    }
  };
  check(*tape.find_grad(xv.id()), 0, "d x");
  check(params[0]->grad, 1, "d weight_nbr");
  check(params[1]->grad, 2, "d weight_root");
}

TEST(SAGEConv, RejectsBadShapes) {
  Rng rng(0);
  EXPECT_THROW(nn::SAGEConv<double>(nn::SAGEConvOptions{0, 2}, rng), Error);
  nn::SAGEConv<double> conv(nn::SAGEConvOptions{3, 2}, rng);
  Tape<double> tape;
  const Graph graph(4, EdgeList{});
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(4, 2)), graph, nn::ForwardContext{}),
               Error);
}

}  // namespace
}  // namespace heed
