// GATConv against a naive dense implementation written from the paper's
// equations (adjacency as an N x N mask, plain loops, double precision).
// Reference gradients are central differences of the reference itself, so
// nothing here reuses heed's kernels or autograd to judge them.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "heed/error.hpp"
#include "heed/nn/gat_conv.hpp"
#include "heed/nn/model.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 5;
constexpr int kIn = 3;
constexpr int kHeads = 2;
constexpr int kOut = 2;

// Directed edges src -> dst of a small hand-made graph (no self loops).
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {1, 2}, {2, 3},
                                              {3, 1}, {4, 0}, {0, 4}, {3, 4}};

struct Weights {
  Tensor<double> x, w, att_src, att_dst, bias;
};

// out[i] = (concat or mean over h) sum_j alpha_ij^h z_j^h + bias, where
// alpha^h_i. = softmax_j LeakyReLU(a_dst^h . z_i^h + a_src^h . z_j^h) over
// j in N(i) + {i}.
Tensor<double> dense_gat(const Weights& p, bool concat, double slope,
                         Tensor<double>* alpha = nullptr) {
  bool adj[kNodes][kNodes] = {};  // adj[i][j]: edge j -> i
  for (auto [s, d] : kEdges) adj[d][s] = true;
  for (int i = 0; i < kNodes; ++i) adj[i][i] = true;
  double z[kNodes][kHeads][kOut] = {};
  for (int n = 0; n < kNodes; ++n)
    for (int h = 0; h < kHeads; ++h)
      for (int f = 0; f < kOut; ++f)
        for (int k = 0; k < kIn; ++k) z[n][h][f] += p.x(n, k) * p.w(k, h * kOut + f);
  const int width = concat ? kHeads * kOut : kOut;
  Tensor<double> out(kNodes, width);
  if (alpha) *alpha = Tensor<double>(kNodes * kHeads, kNodes);  // row i*H+h, column j
  for (int i = 0; i < kNodes; ++i) {
    for (int h = 0; h < kHeads; ++h) {
      double e[kNodes], total = 0;
      for (int j = 0; j < kNodes; ++j) {
        if (!adj[i][j]) continue;
        double s = 0;
        for (int f = 0; f < kOut; ++f) {
          s += p.att_dst(0, h * kOut + f) * z[i][h][f] + p.att_src(0, h * kOut + f) * z[j][h][f];
        }
        e[j] = std::exp(s > 0 ? s : slope * s);
        total += e[j];
      }
      for (int j = 0; j < kNodes; ++j) {
        if (!adj[i][j]) continue;
        const double a = e[j] / total;
        if (alpha) (*alpha)(i * kHeads + h, j) = a;
        for (int f = 0; f < kOut; ++f) {
          if (concat) {
            out(i, h * kOut + f) += a * z[j][h][f];
          } else {
            out(i, f) += a * z[j][h][f] / kHeads;
          }
        }
      }
    }
    for (int c = 0; c < width; ++c) out(i, c) += p.bias(0, c);
  }
  return out;
}

Weights random_weights(bool concat) {
  using testing::random_tensor;
  const int width = concat ? kHeads * kOut : kOut;
  return {random_tensor(kNodes, kIn, 1), random_tensor(kIn, kHeads * kOut, 2),
          random_tensor(1, kHeads * kOut, 3), random_tensor(1, kHeads * kOut, 4),
          random_tensor(1, width, 5)};
}

std::map<std::string, Parameter<double>*> by_name(nn::GATConv<double>& conv) {
  std::map<std::string, Parameter<double>*> m;
  for (Parameter<double>* p : conv.parameters()) m[p->name] = p;
  return m;
}

Graph hand_graph() {
  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  return Graph(kNodes, edges);
}

void compare_with_reference(bool concat) {
  const double slope = 0.2;
  Weights ref = random_weights(concat);
  nn::GATConvOptions options;
  options.in_channels = kIn;
  options.out_channels = kOut;
  options.heads = kHeads;
  options.concat = concat;
  options.negative_slope = slope;
  options.dropout = 0.5;  // must not act outside training
  Rng rng(0);
  nn::GATConv<double> conv(options, rng);
  auto params = by_name(conv);
  params.at("weight")->value = ref.w;
  params.at("att_src")->value = ref.att_src;
  params.at("att_dst")->value = ref.att_dst;
  params.at("bias")->value = ref.bias;

  const Graph graph = hand_graph();
  Tape<double> tape;
  Var<double> x = tape.variable(ref.x);
  nn::Attention<double> attention;
  Var<double> out = conv.forward(x, graph, nn::ForwardContext{false, 0}, &attention);

  Tensor<double> ref_alpha;
  const Tensor<double> expected = dense_gat(ref, concat, slope, &ref_alpha);
  ASSERT_EQ(out.value().rows(), expected.rows());
  ASSERT_EQ(out.value().cols(), expected.cols());
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

  // One coefficient per edge and head, self loops included; each node's sum to 1.
  EXPECT_EQ(attention.graph.num_edges(), EdgeId(kEdges.size() + kNodes));
  for (NodeId i = 0; i < kNodes; ++i) {
    for (int h = 0; h < kHeads; ++h) {
      double total = 0;
      for (auto [j, a] : attention.in_edges(i, h)) {
        EXPECT_NEAR(a, ref_alpha(std::size_t(i * kHeads + h), std::size_t(j)), 1e-12)
            << "alpha " << j << " -> " << i << ", head " << h;
        total += a;
      }
      EXPECT_NEAR(total, 1.0, 1e-12);
    }
  }

  // Gradients of sum(R .* out) against central differences of the reference.
  const Tensor<double> r = testing::random_tensor(expected.rows(), expected.cols(), 6);
  tape.backward(testing::weighted_sum(out, r));
  auto reference_loss = [&](const Weights& p) {
    Tensor<double> o = dense_gat(p, concat, slope);
    double s = 0;
    for (std::size_t k = 0; k < o.size(); ++k) s += r.data()[k] * o.data()[k];
    return s;
  };
  auto check = [&](Tensor<double> Weights::*member, const Tensor<double>& analytic,
                   const char* what) {
    for (std::size_t k = 0; k < analytic.size(); ++k) {
      Weights plus = ref, minus = ref;
      const double h = 1e-6;
      (plus.*member).data()[k] += h;
      (minus.*member).data()[k] -= h;
      const double numeric = (reference_loss(plus) - reference_loss(minus)) / (2 * h);
      EXPECT_NEAR(analytic.data()[k], numeric, 1e-7 * (1 + std::abs(numeric)))
          << what << " element " << k;
    }
  };
  check(&Weights::x, *tape.find_grad(x.id()), "d x");
  check(&Weights::w, params.at("weight")->grad, "d weight");
  check(&Weights::att_src, params.at("att_src")->grad, "d att_src");
  check(&Weights::att_dst, params.at("att_dst")->grad, "d att_dst");
  check(&Weights::bias, params.at("bias")->grad, "d bias");
}

TEST(GATConv, ConcatMatchesDenseReference) {
  compare_with_reference(true);
}
TEST(GATConv, MeanMatchesDenseReference) {
  compare_with_reference(false);
}

TEST(GATConv, AttentionDropoutActsOnlyInTraining) {
  nn::GATConvOptions options{
      .in_channels = kIn, .out_channels = kOut, .heads = kHeads, .dropout = 0.5};
  Rng rng(1);
  nn::GATConv<double> conv(options, rng);
  const Graph graph = hand_graph();
  const Tensor<double> x = testing::random_tensor(kNodes, kIn, 7);
  Tape<double> tape;
  const Tensor<double> eval = conv.forward(tape.constant(x), graph, {false, 5}).value();
  const Tensor<double> train_a = conv.forward(tape.constant(x), graph, {true, 5}).value();
  const Tensor<double> train_b = conv.forward(tape.constant(x), graph, {true, 5}).value();
  const Tensor<double> train_c = conv.forward(tape.constant(x), graph, {true, 6}).value();
  double diff_eval = 0, diff_same = 0, diff_key = 0;
  for (std::size_t k = 0; k < eval.size(); ++k) {
    diff_eval += std::abs(eval.data()[k] - train_a.data()[k]);
    diff_same += std::abs(train_a.data()[k] - train_b.data()[k]);
    diff_key += std::abs(train_a.data()[k] - train_c.data()[k]);
  }
  EXPECT_GT(diff_eval, 1e-6);
  EXPECT_EQ(diff_same, 0.0);  // the same key gives the same mask
  EXPECT_GT(diff_key, 1e-6);
}

TEST(GATConv, FeatureDropoutGradientsInTraining) {
  // In training with every kind of dropout on, the layer is a fixed function
  // of its inputs for a fixed key: its gradients must match central
  // differences of its own forward pass.
  nn::GATConvOptions options{.in_channels = kIn,
                             .out_channels = kOut,
                             .heads = kHeads,
                             .dropout = 0.3,
                             .feature_dropout = 0.4};
  Rng rng(2);
  nn::GATConv<double> conv(options, rng);
  const Graph graph = hand_graph();
  testing::expect_gradients_match({testing::random_tensor(kNodes, kIn, 9)},
                                  [&](Tape<double>&, const std::vector<Var<double>>& v) {
                                    return conv.forward(v[0], graph, {true, 21});
                                  });
}

TEST(GATConv, SparseFeaturesGiveTheSameLayer) {
  nn::GATConvOptions options{.in_channels = 20,
                             .out_channels = kOut,
                             .heads = kHeads,
                             .dropout = 0.3,
                             .feature_dropout = 0.5};
  Rng rng(3);
  nn::GATConv<double> conv(options, rng);
  Tensor<double> x(kNodes, 20);  // mostly zero: the sparse path
  x(0, 1) = 1;
  x(2, 5) = 0.5;
  x(4, 19) = 2;
  const nn::NodeFeatures<double> features(x);
  ASSERT_TRUE(features.sparse());
  for (bool training : {false, true}) {
    Tape<double> tape;
    const Tensor<double> a = conv.forward(features.on(tape), hand_graph(), {training, 8}).value();
    const Tensor<double> b = conv.forward(tape.variable(x), hand_graph(), {training, 8}).value();
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a.data()[k], b.data()[k], 1e-12);
  }
}

TEST(GATConv, RejectsBadOptionsAndInputs) {
  Rng rng(0);
  EXPECT_THROW(nn::GATConv<double>(nn::GATConvOptions{.in_channels = 0, .out_channels = 2}, rng),
               Error);
  EXPECT_THROW(nn::GATConv<double>(
                   nn::GATConvOptions{.in_channels = 2, .out_channels = 2, .dropout = 1.0}, rng),
               Error);
  nn::GATConv<double> conv(nn::GATConvOptions{.in_channels = 4, .out_channels = 2}, rng);
  Tape<double> tape;
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(kNodes, 3)), hand_graph(), {}), Error);
  EXPECT_THROW(conv.forward(tape.constant(Tensor<double>(kNodes + 1, 4)), hand_graph(), {}), Error);
}

TEST(GATModel, ThePapersModelFromASpecGivesLogitsAndOneAttentionPerLayer) {
  nn::ModelSpec spec;  // the paper's model: 2 layers, concatenated then averaged heads
  spec.in_channels = kIn;
  spec.out_channels = 3;
  spec.heads = 4;
  spec.hidden_channels = 2;
  Rng rng(3);
  const std::unique_ptr<nn::Model<double>> gat = nn::make_model<double>(spec, rng);
  EXPECT_EQ(gat->parameters().size(), 8u);
  const Graph graph = hand_graph().with_self_loops();
  const Tensor<double> x = testing::random_tensor(kNodes, kIn, 8);
  Tape<double> tape;
  std::vector<nn::Attention<double>> attention;
  Var<double> out = gat->forward(tape, x, graph, {true, 11}, {.attention = &attention});
  ASSERT_EQ(out.value().rows(), std::size_t(kNodes));
  ASSERT_EQ(out.value().cols(), 3u);
  ASSERT_EQ(attention.size(), 2u);
  EXPECT_EQ(attention[0].alpha.cols(), 4u);
  EXPECT_EQ(attention[1].alpha.cols(), 1u);
  EXPECT_EQ(attention[0].alpha.rows(), std::size_t(graph.num_edges()));
  // Each node's coefficients are a softmax over its in-edges, per head.
  for (int layer = 0; layer < 2; ++layer) {
    for (std::size_t h = 0; h < attention[std::size_t(layer)].alpha.cols(); ++h) {
      for (NodeId i = 0; i < kNodes; ++i) {
        double total = 0;
        for (auto [j, a] : attention[std::size_t(layer)].in_edges(i, int(h))) total += a;
        EXPECT_NEAR(total, 1.0, 1e-12) << "layer " << layer << " node " << i;
      }
    }
  }
}

}  // namespace
}  // namespace heed
