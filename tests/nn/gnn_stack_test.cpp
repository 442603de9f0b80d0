// GNNStack against a dense re-implementation of its formula (GCN layers,
// residuals, LayerNorm) with plain loops in double; gradients by central
// differences of that reference.
#include "heed/nn/gnn_stack.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "heed/error.hpp"
#include "heed/nn/model_spec.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 7, kIn = 5, kHidden = 4, kClasses = 3, kLayers = 3;
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 1}, {4, 0},
                                              {0, 4}, {3, 4}, {2, 1}, {5, 6}, {6, 5}};

using Matrix = std::vector<std::vector<double>>;

Matrix to_matrix(const Tensor<double>& t) {
  Matrix m(t.rows(), std::vector<double>(t.cols()));
  for (std::size_t r = 0; r < t.rows(); ++r)
    for (std::size_t c = 0; c < t.cols(); ++c) m[r][c] = t(r, c);
  return m;
}

// D^-1/2 (A + I) D^-1/2 H W + b.
Matrix gcn(const Matrix& h, const Matrix& w, const Matrix& b) {
  double a[kNodes][kNodes] = {};
  for (auto [s, d] : kEdges) a[d][s] = 1;
  for (int i = 0; i < kNodes; ++i) a[i][i] = 1;
  double deg[kNodes] = {};
  for (int i = 0; i < kNodes; ++i)
    for (int j = 0; j < kNodes; ++j) deg[i] += a[i][j];
  const std::size_t out = w[0].size();
  Matrix y(kNodes, std::vector<double>(out));
  for (int i = 0; i < kNodes; ++i) {
    for (std::size_t c = 0; c < out; ++c) {
      double s = 0;
      for (int j = 0; j < kNodes; ++j) {
        if (a[i][j] == 0) continue;
        double hw = 0;
        for (std::size_t k = 0; k < h[0].size(); ++k) hw += h[j][k] * w[k][c];
        s += hw / std::sqrt(deg[i] * deg[j]);
      }
      y[i][c] = s + b[0][c];
    }
  }
  return y;
}

// The stack's formula, from the parameters in the model's order: per layer
// weight, bias, then (hidden layers) LayerNorm scale and shift.
Matrix reference(const Matrix& x, const std::vector<Matrix>& p, bool residual) {
  Matrix h = x;
  std::size_t k = 0;
  for (int l = 0; l < kLayers; ++l) {
    Matrix y = gcn(h, p[k], p[k + 1]);
    k += 2;
    if (l == kLayers - 1) return y;  // logits
    const Matrix& gamma = p[k];
    const Matrix& beta = p[k + 1];
    k += 2;
    for (int i = 0; i < kNodes; ++i) {
      double mean = 0, var = 0;
      for (double v : y[i]) mean += v / kHidden;
      for (double v : y[i]) var += (v - mean) * (v - mean) / kHidden;
      for (int c = 0; c < kHidden; ++c) {
        double v = gamma[0][c] * (y[i][c] - mean) / std::sqrt(var + 1e-5) + beta[0][c];
        v = std::max(v, 0.0);
        y[i][c] = residual && l > 0 ? h[i][c] + v : v;
      }
    }
    h = y;
  }
  return h;
}

nn::ModelSpec gcn_stack(bool residual) {
  nn::ModelSpec o;
  o.model = "gcn";
  o.in_channels = kIn;
  o.hidden_channels = kHidden;
  o.out_channels = kClasses;
  o.layers = kLayers;
  o.residual = residual;
  o.norm = nn::Normalisation::kLayer;
  o.dropout = 0.5;
  return o;
}

Graph test_graph() {
  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  return Graph(kNodes, edges);
}

void compare_with_reference(bool residual) {
  Rng rng(5);
  nn::GNNStack<double> stack(gcn_stack(residual), rng);
  std::vector<Parameter<double>*> params = stack.parameters();
  ASSERT_EQ(params.size(), 3u * 2 + 2u * 2);
  std::vector<Matrix> p;
  unsigned seed = 40;
  for (Parameter<double>* q : params) {
    // Non-trivial LayerNorm scales and shifts, not the initial ones and zeros.
    q->value = testing::random_tensor(q->value.rows(), q->value.cols(), seed++, 0.3, 1.2);
    p.push_back(to_matrix(q->value));
  }
  const Tensor<double> x = testing::random_tensor(kNodes, kIn, 1);
  const Graph graph = test_graph();
  const Tensor<double> r = testing::random_tensor(kNodes, kClasses, 2);

  Tape<double> tape;
  Var<double> out = stack.forward(tape, x, graph, nn::ForwardContext{false, 0});
  const Matrix expected = reference(to_matrix(x), p, residual);
  for (int i = 0; i < kNodes; ++i)
    for (int c = 0; c < kClasses; ++c) EXPECT_NEAR(out.value()(i, c), expected[i][c], 1e-10);

  // Every parameter's gradient against central differences of the reference.
  tape.backward(out, r);
  auto objective = [&](const std::vector<Matrix>& ps) {
    const Matrix y = reference(to_matrix(x), ps, residual);
    double s = 0;
    for (int i = 0; i < kNodes; ++i)
      for (int c = 0; c < kClasses; ++c) s += r(i, c) * y[i][c];
    return s;
  };
  for (std::size_t q = 0; q < p.size(); ++q) {
    for (std::size_t i = 0; i < p[q].size(); ++i) {
      for (std::size_t j = 0; j < p[q][0].size(); ++j) {
        std::vector<Matrix> up = p, down = p;
        up[q][i][j] += 1e-6;
        down[q][i][j] -= 1e-6;
        const double numeric = (objective(up) - objective(down)) / 2e-6;
        EXPECT_NEAR(params[q]->grad(i, j), numeric, 1e-6)
            << params[q]->name << " of parameter " << q << " at " << i << "," << j;
      }
    }
  }
}

TEST(GNNStack, GcnStackWithLayerNormMatchesTheDenseFormula) {
  compare_with_reference(false);
}
TEST(GNNStack, ResidualGcnStackMatchesTheDenseFormula) {
  compare_with_reference(true);
}

TEST(GNNStack, AttentionStacksHandBackEveryLayer) {
  for (const char* kind : {"gat", "gatv2"}) {
    nn::ModelSpec o;
    o.model = kind;
    o.in_channels = kIn;
    o.hidden_channels = 3;
    o.heads = 2;
    o.out_channels = kClasses;
    o.layers = 4;
    o.residual = true;
    Rng rng(1);
    nn::GNNStack<double> stack(o, rng);
    const Tensor<double> x = testing::random_tensor(kNodes, kIn, 3);
    const Graph graph = test_graph().with_self_loops();
    std::vector<nn::Attention<double>> attention;
    Tensor<double> hidden;
    Tape<double> tape;
    Var<double> out = stack.forward(tape, x, graph, nn::ForwardContext{true, 9},
                                    {.attention = &attention, .last_hidden = &hidden});
    ASSERT_EQ(attention.size(), 4u);
    EXPECT_EQ(attention[0].alpha.cols(), 2u);
    EXPECT_EQ(attention[3].alpha.cols(), 1u);  // one output head
    EXPECT_EQ(hidden.rows(), std::size_t(kNodes));
    EXPECT_EQ(hidden.cols(), 6u);
    EXPECT_EQ(out.value().cols(), std::size_t(kClasses));
    for (double v : out.value().values()) EXPECT_TRUE(std::isfinite(v));
  }
}

TEST(GNNStack, PerHeadDropoutIsTheTwoLayerGatRecipe) {
  nn::ModelSpec spec;
  spec.in_channels = kIn;
  spec.out_channels = kClasses;
  EXPECT_TRUE(spec.per_head_dropout());
  spec.residual = true;
  EXPECT_FALSE(spec.per_head_dropout());
  spec.residual = false;
  spec.layers = 3;
  EXPECT_FALSE(spec.per_head_dropout());
  spec.layers = 2;
  spec.model = "gatv2";  // no per-head input dropout in GATv2Conv
  EXPECT_FALSE(spec.per_head_dropout());
  spec.model = "gat";
  spec.feature_dropout = nn::FeatureDropout::kLayerInput;
  EXPECT_FALSE(spec.per_head_dropout());
  Rng rng(0);
  EXPECT_EQ(nn::make_model<float>(spec, rng)->name(), "gat");
}

TEST(GNNStack, RejectsBadOptions) {
  nn::ModelSpec o = gcn_stack(false);
  o.layers = 0;
  Rng rng(0);
  EXPECT_THROW(nn::GNNStack<double>(o, rng), Error);
  o = gcn_stack(false);
  o.dropout = 1.0;
  EXPECT_THROW(nn::GNNStack<double>(o, rng), Error);
}

}  // namespace
}  // namespace heed
