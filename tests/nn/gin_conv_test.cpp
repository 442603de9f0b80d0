// GINConv against its formula, MLP((1 + eps) x_i + sum_j x_j), written with
// plain loops in double; gradients of every parameter (eps included, with
// train_eps) and of the input by central differences.
#include "heed/nn/gin_conv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "heed/error.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 6, kIn = 4, kHidden = 5, kOut = 3;
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 1},
                                              {4, 0}, {0, 4}, {3, 4}, {2, 1}};  // 5 is isolated

std::map<std::string, Parameter<double>*> by_name(nn::GINConv<double>& conv) {
  std::map<std::string, Parameter<double>*> m;
  for (Parameter<double>* p : conv.parameters()) m[p->name] = p;
  return m;
}

Tensor<double> dense_gin(const Tensor<double>& x, std::map<std::string, Parameter<double>*>& p,
                         double eps) {
  const Tensor<double>&w0 = p["nn.0.weight"]->value, &b0 = p["nn.0.bias"]->value,
        &w1 = p["nn.2.weight"]->value, &b1 = p["nn.2.bias"]->value;
  Tensor<double> out(kNodes, kOut);
  for (int i = 0; i < kNodes; ++i) {
    std::vector<double> s(kIn);
    for (int k = 0; k < kIn; ++k) s[std::size_t(k)] = (1 + eps) * x(std::size_t(i), std::size_t(k));
    for (auto [src, dst] : kEdges) {
      if (dst != i) continue;
      for (int k = 0; k < kIn; ++k) s[std::size_t(k)] += x(std::size_t(src), std::size_t(k));
    }
    std::vector<double> h(kHidden);
    for (int c = 0; c < kHidden; ++c) {
      double v = b0(0, std::size_t(c));
      for (int k = 0; k < kIn; ++k) v += s[std::size_t(k)] * w0(std::size_t(k), std::size_t(c));
      h[std::size_t(c)] = std::max(v, 0.0);
    }
    for (int c = 0; c < kOut; ++c) {
      double v = b1(0, std::size_t(c));
      for (int k = 0; k < kHidden; ++k) v += h[std::size_t(k)] * w1(std::size_t(k), std::size_t(c));
      out(std::size_t(i), std::size_t(c)) = v;
    }
  }
  return out;
}

Graph graph(bool loops) {
  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  GraphOptions o;
  o.add_self_loops = loops;
  return Graph(kNodes, edges, o);
}

TEST(GINConv, MatchesTheDenseFormulaWithOrWithoutSelfLoopsInTheGraph) {
  for (double eps : {0.0, 0.3}) {
    Rng rng(2);
    nn::GINConv<double> conv(
        {.in_channels = kIn, .out_channels = kOut, .eps = eps, .mlp_hidden = kHidden}, rng);
    auto p = by_name(conv);
    unsigned seed = 10;
    for (auto& [name, q] : p)
      q->value = testing::random_tensor(q->value.rows(), q->value.cols(), seed++);
    const Tensor<double> x = testing::random_tensor(kNodes, kIn, 1);
    const Tensor<double> expected = dense_gin(x, p, eps);
    for (bool loops : {false, true}) {
      const Graph g = graph(loops);
      Tape<double> tape;
      const Tensor<double> got = conv.forward(tape.constant(x), g, nn::ForwardContext{}).value();
      for (std::size_t k = 0; k < expected.size(); ++k) {
        EXPECT_NEAR(got.data()[k], expected.data()[k], 1e-12)
            << "eps " << eps << " loops " << loops;
      }
    }
  }
}

TEST(GINConv, GradientsOfEveryParameterAndTheInput) {
  const testing::SingleThread one_thread;
  Rng rng(4);
  nn::GINConv<double> conv({.in_channels = kIn,
                            .out_channels = kOut,
                            .eps = 0.2,
                            .train_eps = true,
                            .mlp_hidden = kHidden},
                           rng);
  auto p = by_name(conv);
  ASSERT_EQ(p.size(), 5u);  // two Linear layers and eps
  ASSERT_TRUE(p.count("eps"));
  const Graph g = graph(true);
  const Tensor<double> x = testing::random_tensor(kNodes, kIn, 5);
  const Tensor<double> r = testing::random_tensor(kNodes, kOut, 6);
  for (Parameter<double>* q : conv.parameters()) q->zero_grad();
  Tape<double> tape;
  Var<double> xv = tape.variable(x);
  tape.backward(conv.forward(xv, g, nn::ForwardContext{}), r);
  auto objective = [&](const Tensor<double>& input) {
    const Tensor<double> y = dense_gin(input, p, p["eps"]->value(0, 0));
    double s = 0;
    for (std::size_t k = 0; k < y.size(); ++k) s += r.data()[k] * y.data()[k];
    return s;
  };
  for (Parameter<double>* q : conv.parameters()) {
    for (std::size_t k = 0; k < q->value.size(); ++k) {
      const double keep = q->value.data()[k];
      q->value.data()[k] = keep + 1e-6;
      const double up = objective(x);
      q->value.data()[k] = keep - 1e-6;
      const double down = objective(x);
      q->value.data()[k] = keep;
      EXPECT_NEAR(q->grad.data()[k], (up - down) / 2e-6, 1e-6) << q->name << "[" << k << "]";
    }
  }
  const Tensor<double>* gx = tape.find_grad(xv.id());
  ASSERT_NE(gx, nullptr);
  for (std::size_t k = 0; k < x.size(); ++k) {
    Tensor<double> up = x, down = x;
    up.data()[k] += 1e-6;
    down.data()[k] -= 1e-6;
    EXPECT_NEAR(gx->data()[k], (objective(up) - objective(down)) / 2e-6, 1e-6) << "x[" << k << "]";
  }
}

TEST(GINConv, RejectsBadOptionsAndEdgeFeatures) {
  Rng rng(0);
  EXPECT_THROW(nn::GINConv<double>({.in_channels = 0, .out_channels = 2}, rng), Error);
  EXPECT_THROW(nn::GINConv<double>({.in_channels = 2, .out_channels = 2, .mlp_hidden = -1}, rng),
               Error);
  nn::GINConv<double> conv({.in_channels = kIn, .out_channels = kOut}, rng);
  Tape<double> tape;
  const Graph g = graph(false);
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(kNodes, kIn + 1)), g, {}), Error);
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(kNodes, kIn)), g,
                            tape.constant(Tensor<double>(std::size_t(g.num_edges()), 2)), {}),
               Error);
}

}  // namespace
}  // namespace heed
