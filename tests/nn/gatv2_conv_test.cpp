// GATv2Conv against a naive dense implementation written from the paper's
// equations (adjacency as an N x N mask, plain loops, double precision);
// reference gradients are central differences of the reference itself.
#include "heed/nn/gatv2_conv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "heed/error.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 5, kIn = 3, kHeads = 2, kOut = 2;
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {1, 2}, {2, 3},
                                              {3, 1}, {4, 0}, {0, 4}, {3, 4}};

struct Weights {
  Tensor<double> x, w_src, w_dst, att, bias;
  Tensor<double> b_src = Tensor<double>(1, kHeads*kOut), b_dst = Tensor<double>(1, kHeads*kOut);
};

// out[i] = (concat or mean over h) sum_j alpha_ij^h (W_s x_j + b_s)^h + bias,
// with alpha^h_i. = softmax_j a^h . LeakyReLU((W_d x_i + b_d)^h + (W_s x_j +
// b_s)^h) over j in N(i) + {i} (b_s, b_d zero without projection biases).
Tensor<double> dense_gatv2(const Weights& p, bool concat, double slope) {
  bool adj[kNodes][kNodes] = {};
  for (auto [s, d] : kEdges) adj[d][s] = true;
  for (int i = 0; i < kNodes; ++i) adj[i][i] = true;
  double xs[kNodes][kHeads * kOut] = {}, xd[kNodes][kHeads * kOut] = {};
  for (int n = 0; n < kNodes; ++n) {
    for (int c = 0; c < kHeads * kOut; ++c) {
      xs[n][c] = p.b_src(0, c);
      xd[n][c] = p.b_dst(0, c);
      for (int k = 0; k < kIn; ++k) {
        xs[n][c] += p.x(n, k) * p.w_src(k, c);
        xd[n][c] += p.x(n, k) * p.w_dst(k, c);
      }
    }
  }
  const int width = concat ? kHeads * kOut : kOut;
  Tensor<double> out(kNodes, width);
  for (int i = 0; i < kNodes; ++i) {
    for (int h = 0; h < kHeads; ++h) {
      double e[kNodes] = {}, total = 0;
      for (int j = 0; j < kNodes; ++j) {
        if (!adj[i][j]) continue;
        double s = 0;
        for (int f = 0; f < kOut; ++f) {
          const double m = xd[i][h * kOut + f] + xs[j][h * kOut + f];
          s += p.att(0, h * kOut + f) * (m > 0 ? m : slope * m);
        }
        e[j] = std::exp(s);
        total += e[j];
      }
      for (int j = 0; j < kNodes; ++j) {
        if (!adj[i][j]) continue;
        const double a = e[j] / total;
        for (int f = 0; f < kOut; ++f) {
          if (concat) {
            out(i, h * kOut + f) += a * xs[j][h * kOut + f];
          } else {
            out(i, f) += a * xs[j][h * kOut + f] / kHeads;
          }
        }
      }
    }
    for (int c = 0; c < width; ++c) out(i, c) += p.bias(0, c);
  }
  return out;
}

void compare_with_reference(bool concat, bool share, bool projection_bias = false) {
  using testing::random_tensor;
  const double slope = 0.2;
  const int width = concat ? kHeads * kOut : kOut;
  Weights ref{random_tensor(kNodes, kIn, 1), random_tensor(kIn, kHeads * kOut, 2),
              random_tensor(kIn, kHeads * kOut, 3), random_tensor(1, kHeads * kOut, 4),
              random_tensor(1, width, 5)};
  if (projection_bias) {
    ref.b_src = random_tensor(1, kHeads * kOut, 7);
    ref.b_dst = random_tensor(1, kHeads * kOut, 8);
  }
  if (share) {
    ref.w_dst = ref.w_src;
    ref.b_dst = ref.b_src;
  }
  nn::GATv2ConvOptions options;
  options.in_channels = kIn;
  options.out_channels = kOut;
  options.heads = kHeads;
  options.concat = concat;
  options.share_weights = share;
  options.projection_bias = projection_bias;
  options.dropout = 0.5;  // must not act outside training
  Rng rng(0);
  nn::GATv2Conv<double> conv(options, rng);
  std::map<std::string, Parameter<double>*> params;
  for (Parameter<double>* p : conv.parameters()) params[p->name] = p;
  EXPECT_EQ(params.count("weight_dst"), share ? 0u : 1u);
  params.at("weight_src")->value = ref.w_src;
  if (!share) params.at("weight_dst")->value = ref.w_dst;
  EXPECT_EQ(params.count("bias_src"), projection_bias ? 1u : 0u);
  if (projection_bias) {
    params.at("bias_src")->value = ref.b_src;
    if (!share) params.at("bias_dst")->value = ref.b_dst;
  }
  params.at("att")->value = ref.att;
  params.at("bias")->value = ref.bias;

  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  const Graph graph(kNodes, edges);
  Tape<double> tape;
  Var<double> x = tape.variable(ref.x);
  nn::Attention<double> attention;
  Var<double> out = conv.forward(x, graph, nn::ForwardContext{false, 0}, &attention);
  const Tensor<double> expected = dense_gatv2(ref, concat, slope);
  ASSERT_TRUE(out.value().same_shape(expected));
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_NEAR(out.value().data()[k], expected.data()[k], 1e-12) << "output element " << k;
  }
  // On a tape without gradients (evaluation), the same numbers: the layer
  // then keeps nothing for a backward pass.
  Tape<double> inference(Tape<double>::Gradients::kOff);
  const Tensor<double> eval =
      conv.forward(inference.constant(ref.x), graph, nn::ForwardContext{false, 0}).value();
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_NEAR(eval.data()[k], expected.data()[k], 1e-12) << "evaluation element " << k;
  }
  for (NodeId i = 0; i < kNodes; ++i) {
    double total = 0;
    for (auto [j, a] : attention.in_edges(i, 1)) total += a;
    EXPECT_NEAR(total, 1.0, 1e-12);
  }

  const Tensor<double> r = random_tensor(expected.rows(), expected.cols(), 6);
  tape.backward(testing::weighted_sum(out, r));
  auto reference_loss = [&](Weights p) {
    if (share) {
      p.w_dst = p.w_src;
      p.b_dst = p.b_src;
    }
    const Tensor<double> o = dense_gatv2(p, concat, slope);
    double s = 0;
    for (std::size_t k = 0; k < o.size(); ++k) s += r.data()[k] * o.data()[k];
    return s;
  };
  auto check = [&](Tensor<double> Weights::*member, const Tensor<double>& analytic,
                   const char* what) {
    for (std::size_t k = 0; k < analytic.size(); ++k) {
      Weights plus = ref, minus = ref;
      (plus.*member).data()[k] += 1e-6;
      (minus.*member).data()[k] -= 1e-6;
      const double numeric = (reference_loss(plus) - reference_loss(minus)) / 2e-6;
      EXPECT_NEAR(analytic.data()[k], numeric, 1e-7 * (1 + std::abs(numeric)))
          << what << " element " << k;
    }
  };
  check(&Weights::x, *tape.find_grad(x.id()), "d x");
  check(&Weights::w_src, params.at("weight_src")->grad, "d weight_src");
  if (!share) check(&Weights::w_dst, params.at("weight_dst")->grad, "d weight_dst");
  check(&Weights::att, params.at("att")->grad, "d att");
  check(&Weights::bias, params.at("bias")->grad, "d bias");
  if (projection_bias) {
    check(&Weights::b_src, params.at("bias_src")->grad, "d bias_src");
    if (!share) check(&Weights::b_dst, params.at("bias_dst")->grad, "d bias_dst");
  }
}

TEST(GATv2Conv, ConcatMatchesDenseReference) {
  compare_with_reference(true, false);
}
TEST(GATv2Conv, MeanMatchesDenseReference) {
  compare_with_reference(false, false);
}
TEST(GATv2Conv, SharedWeightsMatchDenseReference) {
  compare_with_reference(true, true);
}

TEST(GATv2Conv, ProjectionBiasesMatchDenseReference) {
  compare_with_reference(true, false, true);
  compare_with_reference(false, true, true);
}

TEST(GATv2Conv, RejectsBadOptionsAndInputs) {
  Rng rng(0);
  EXPECT_THROW(nn::GATv2Conv<double>(nn::GATv2ConvOptions{3, 2, 0}, rng), Error);
  nn::GATv2ConvOptions bad{3, 2, 1};
  bad.dropout = 1.5;
  EXPECT_THROW(nn::GATv2Conv<double>(bad, rng), Error);
  nn::GATv2Conv<double> conv(nn::GATv2ConvOptions{3, 2, 1}, rng);
  Tape<double> tape;
  const Graph graph(4, EdgeList{});
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(4, 5)), graph, {}), Error);
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(3, 3)), graph, {}), Error);
}

}  // namespace
}  // namespace heed
