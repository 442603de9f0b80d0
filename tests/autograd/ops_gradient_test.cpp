// Finite-difference checks, in double, of the gradient of every op.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;
using V = Var<double>;
using Vars = std::vector<Var<double>>;

// 5 nodes; node 4 has no in-edges, node 0 has four.
Graph small_graph(bool loops) {
  EdgeList e;
  e.add(1, 0);
  e.add(2, 0);
  e.add(3, 0);
  e.add(0, 1);
  e.add(2, 1);
  e.add(0, 2);
  e.add(4, 3);
  GraphOptions o;
  o.add_self_loops = loops;
  return Graph(5, e, o);
}

TEST(OpsGradient, Matmul) {
  expect_gradients_match({random_tensor(4, 3, 1), random_tensor(3, 5, 2)},
                         [](Tape<double>&, const Vars& v) { return ops::matmul(v[0], v[1]); });
}

TEST(OpsGradient, MatmulWithSparseConstantLeftFactor) {
  // Mostly zeros and constant: the nonzero-only path; only the right factor has a gradient.
  Tensor<double> a(6, 20);
  a(0, 3) = 0.5;
  a(2, 7) = -1.25;
  a(2, 19) = 2.0;
  a(5, 0) = 0.75;
  expect_gradients_match({a, random_tensor(20, 4, 3)},
                         [](Tape<double>&, const Vars& v) { return ops::matmul(v[0], v[1]); },
                         {false, true});
}

TEST(OpsGradient, SparsePathEqualsDenseProduct) {
  Tensor<double> a(6, 20);
  a(1, 2) = 1.5;
  a(4, 11) = -0.5;
  Tensor<double> b = random_tensor(20, 3, 4);
  Tape<double> tape;
  Var<double> sparse = ops::matmul(tape.constant(a), tape.constant(b));
  Var<double> dense = ops::matmul(tape.variable(a), tape.constant(b));
  for (std::size_t k = 0; k < dense.value().size(); ++k) {
    EXPECT_DOUBLE_EQ(sparse.value().data()[k], dense.value().data()[k]);
  }
}

TEST(OpsGradient, HeadDropoutMatmulDense) {
  expect_gradients_match(
      {random_tensor(5, 4, 30), random_tensor(4, 6, 31)}, [](Tape<double>&, const Vars& v) {
        return ops::head_dropout_matmul(v[0], v[1], 3, KeyedDropout<double>{0.5, 32});
      });
}

Tensor<double> sparse_input() {
  Tensor<double> a(6, 20);
  a(0, 3) = 0.5;
  a(1, 3) = 1.0;
  a(2, 7) = -1.25;
  a(2, 19) = 2.0;
  a(5, 0) = 0.75;
  a(5, 11) = -0.5;
  return a;
}

TEST(OpsGradient, HeadDropoutMatmulSparseConstant) {
  expect_gradients_match(
      {sparse_input(), random_tensor(20, 4, 33)},
      [](Tape<double>&, const Vars& v) {
        return ops::head_dropout_matmul(v[0], v[1], 2, KeyedDropout<double>{0.4, 34});
      },
      {false, true});
}

TEST(OpsGradient, HeadDropoutMatmulSparseAndDenseAgree) {
  // Same masks whichever path runs, and each head's block equals
  // (mask_h . x) W_h computed by hand.
  const Tensor<double> a = sparse_input();
  const Tensor<double> w = random_tensor(20, 4, 35);
  const KeyedDropout<double> drop{0.5, 36};
  Tape<double> tape;
  const Tensor<double> sparse =
      ops::head_dropout_matmul(tape.constant(a), tape.constant(w), 2, drop).value();
  const Tensor<double> dense =
      ops::head_dropout_matmul(tape.variable(a), tape.constant(w), 2, drop).value();
  for (std::size_t i = 0; i < 6; ++i) {
    for (std::size_t c = 0; c < 4; ++c) {
      const std::size_t h = c / 2;
      double expect = 0;
      for (std::size_t k = 0; k < 20; ++k) {
        expect += a(i, k) * drop.scale((i * 20 + k) * 2 + h) * w(k, c);
      }
      EXPECT_NEAR(sparse(i, c), expect, 1e-12);
      EXPECT_NEAR(dense(i, c), expect, 1e-12);
    }
  }
  // Heads draw different masks.
  int differ = 0;
  for (std::size_t k = 0; k < 200; ++k) differ += drop.scale(2 * k) != drop.scale(2 * k + 1);
  EXPECT_GT(differ, 0);
}

TEST(OpsGradient, AddBias) {
  expect_gradients_match({random_tensor(4, 3, 5), random_tensor(1, 3, 6)},
                         [](Tape<double>&, const Vars& v) { return ops::add_bias(v[0], v[1]); });
}

TEST(OpsGradient, Add) {
  expect_gradients_match({random_tensor(3, 4, 7), random_tensor(3, 4, 8)},
                         [](Tape<double>&, const Vars& v) { return ops::add(v[0], v[1]); });
}

TEST(OpsGradient, Elu) {
  expect_gradients_match({random_tensor(5, 4, 9, -2.0, 2.0)},
                         [](Tape<double>&, const Vars& v) { return ops::elu(v[0], 1.3); });
}

TEST(OpsGradient, Relu) {
  // Values kept away from the kink at 0, where the derivative jumps.
  Tensor<double> x = random_tensor(4, 5, 63);
  for (double& v : x.values()) v += v > 0 ? 0.1 : -0.1;
  expect_gradients_match({x}, [](Tape<double>&, const Vars& v) { return ops::relu(v[0]); });
}

TEST(OpsGradient, Dropout) {
  expect_gradients_match({random_tensor(6, 5, 10)}, [](Tape<double>&, const Vars& v) {
    return ops::dropout(v[0], KeyedDropout<double>{0.4, 77});
  });
}

TEST(OpsGradient, GatNodeScores) {
  const kernels::HeadShape shape{2, 3};
  expect_gradients_match(
      {random_tensor(5, 6, 11), random_tensor(1, 6, 12)},
      [shape](Tape<double>&, const Vars& v) { return ops::gat_node_scores(v[0], v[1], shape); });
}

void check_gat_attention(bool loops, double attention_dropout) {
  const Graph graph = small_graph(loops);
  const kernels::HeadShape shape{2, 3};
  expect_gradients_match(
      {random_tensor(5, 6, 13), random_tensor(5, 2, 14, -2, 2), random_tensor(5, 2, 15, -2, 2)},
      [&](Tape<double>&, const Vars& v) {
        return ops::gat_attention(v[0], v[1], v[2], graph, shape, 0.2,
                                  KeyedDropout<double>{attention_dropout, 99});
      });
}

TEST(OpsGradient, GatAttention) {
  check_gat_attention(true, 0.0);
}
TEST(OpsGradient, GatAttentionWithoutSelfLoops) {
  check_gat_attention(false, 0.0);
}
TEST(OpsGradient, GatAttentionWithDropout) {
  check_gat_attention(true, 0.3);
}

TEST(OpsGradient, GatAttentionWithScores) {
  // values and z independent (the authors' feature dropout makes them differ).
  const Graph graph = small_graph(true);
  const kernels::HeadShape shape{2, 3};
  expect_gradients_match({random_tensor(5, 6, 51), random_tensor(5, 6, 52), random_tensor(1, 6, 53),
                          random_tensor(1, 6, 54)},
                         [&](Tape<double>&, const Vars& v) {
                           return ops::gat_attention(v[0], v[1], v[2], v[3], graph, shape, 0.2,
                                                     KeyedDropout<double>{0.3, 55});
                         });
}

TEST(OpsGradient, GatAttentionWithScoresAndBias) {
  // The bias added in the kernel's pass; without self loops, so that some
  // rows are the bias alone.
  const Graph graph = small_graph(false);
  const kernels::HeadShape shape{2, 3};
  expect_gradients_match({random_tensor(5, 6, 63), random_tensor(1, 6, 64), random_tensor(1, 6, 65),
                          random_tensor(1, 6, 66)},
                         [&](Tape<double>&, const Vars& v) {
                           return ops::gat_attention<double>(v[0], v[0], v[1], v[2], graph, shape,
                                                             0.2, KeyedDropout<double>{0.2, 67},
                                                             nullptr, &v[3]);
                         });
}

TEST(OpsGradient, GatAttentionWithScoresOnOneValue) {
  const Graph graph = small_graph(false);
  const kernels::HeadShape shape{2, 3};
  expect_gradients_match(
      {random_tensor(5, 6, 56), random_tensor(1, 6, 57), random_tensor(1, 6, 58)},
      [&](Tape<double>&, const Vars& v) {
        return ops::gat_attention(v[0], v[0], v[1], v[2], graph, shape, 0.2,
                                  KeyedDropout<double>{});
      });
}

TEST(OpsValues, GatAttentionWithScoresEqualsTheComposition) {
  const Graph graph = small_graph(true);
  const kernels::HeadShape shape{2, 3};
  const Tensor<double> z = random_tensor(5, 6, 59), a = random_tensor(1, 6, 60),
                       b = random_tensor(1, 6, 61);
  Tape<double> tape;
  const KeyedDropout<double> drop{0.25, 62};
  V zv = tape.constant(z), av = tape.constant(a), bv = tape.constant(b);
  const Tensor<double> fused = ops::gat_attention(zv, zv, av, bv, graph, shape, 0.2, drop).value();
  const Tensor<double> composed =
      ops::gat_attention(zv, ops::gat_node_scores(zv, av, shape),
                         ops::gat_node_scores(zv, bv, shape), graph, shape, 0.2, drop)
          .value();
  for (std::size_t k = 0; k < fused.size(); ++k) EXPECT_EQ(fused.data()[k], composed.data()[k]);
}

void check_gatv2_attention(bool loops, double attention_dropout) {
  const Graph graph = small_graph(loops);
  const kernels::HeadShape shape{2, 3};
  expect_gradients_match(
      {random_tensor(5, 6, 31), random_tensor(5, 6, 32), random_tensor(1, 6, 33)},
      [&](Tape<double>&, const Vars& v) {
        return ops::gatv2_attention(v[0], v[1], v[2], graph, shape, 0.2,
                                    KeyedDropout<double>{attention_dropout, 98});
      });
}

TEST(OpsGradient, Gatv2Attention) {
  check_gatv2_attention(true, 0.0);
}
TEST(OpsGradient, Gatv2AttentionWithoutSelfLoops) {
  check_gatv2_attention(false, 0.0);
}
TEST(OpsGradient, Gatv2AttentionWithDropout) {
  check_gatv2_attention(true, 0.3);
}
TEST(OpsGradient, Gatv2AttentionWithSharedProjection) {
  // x_src and x_dst the same value: both gradient paths reach it.
  const Graph graph = small_graph(true);
  const kernels::HeadShape shape{1, 4};
  expect_gradients_match(
      {random_tensor(5, 4, 34), random_tensor(1, 4, 35)}, [&](Tape<double>&, const Vars& v) {
        return ops::gatv2_attention(v[0], v[0], v[1], graph, shape, 0.2, KeyedDropout<double>{});
      });
}

void check_gat_edge_attention(bool loops, double attention_dropout) {
  const Graph graph = small_graph(loops);
  const kernels::HeadShape shape{2, 3};
  const std::size_t e = std::size_t(graph.num_edges());
  expect_gradients_match({random_tensor(5, 6, 70), random_tensor(5, 2, 71, -2, 2),
                          random_tensor(5, 2, 72, -2, 2), random_tensor(e, 2, 73, -2, 2)},
                         [&](Tape<double>&, const Vars& v) {
                           return ops::gat_edge_attention(
                               v[0], v[1], v[2], v[3], graph, shape, 0.2,
                               KeyedDropout<double>{attention_dropout, 97});
                         });
}

TEST(OpsGradient, GatEdgeAttention) {
  check_gat_edge_attention(true, 0.0);
}
TEST(OpsGradient, GatEdgeAttentionWithoutSelfLoopsAndWithDropout) {
  check_gat_edge_attention(false, 0.3);
}

TEST(OpsValues, GatEdgeAttentionWithZeroEdgeScoresIsGatAttention) {
  const Graph graph = small_graph(true);
  const kernels::HeadShape shape{2, 3};
  Tape<double> tape;
  const Var<double> z = tape.constant(random_tensor(5, 6, 74));
  const Var<double> s = tape.constant(random_tensor(5, 2, 75, -2, 2));
  const Var<double> d = tape.constant(random_tensor(5, 2, 76, -2, 2));
  const Var<double> none = tape.constant(Tensor<double>(std::size_t(graph.num_edges()), 2));
  const KeyedDropout<double> drop{0.4, 5};
  const Tensor<double> a = ops::gat_edge_attention(z, s, d, none, graph, shape, 0.2, drop).value();
  const Tensor<double> b = ops::gat_attention(z, s, d, graph, shape, 0.2, drop).value();
  for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a.data()[k], b.data()[k], 1e-12);
}

void check_gatv2_edge_attention(bool loops, double attention_dropout) {
  const Graph graph = small_graph(loops);
  const kernels::HeadShape shape{2, 3};
  const std::size_t e = std::size_t(graph.num_edges());
  expect_gradients_match({random_tensor(5, 6, 80), random_tensor(5, 6, 81), random_tensor(e, 6, 82),
                          random_tensor(1, 6, 83)},
                         [&](Tape<double>&, const Vars& v) {
                           return ops::gatv2_edge_attention(
                               v[0], v[1], v[2], v[3], graph, shape, 0.2,
                               KeyedDropout<double>{attention_dropout, 96});
                         });
}

TEST(OpsGradient, Gatv2EdgeAttention) {
  check_gatv2_edge_attention(true, 0.0);
}
TEST(OpsGradient, Gatv2EdgeAttentionWithoutSelfLoopsAndWithDropout) {
  check_gatv2_edge_attention(false, 0.3);
}

TEST(OpsGradient, RowMeans) {
  // Rows: 0 <- mean(2, 0), 1 <- nothing, 2 <- 1, 3 <- mean(0, 1, 2).
  auto plan =
      std::make_shared<const ops::RowMeans>(ops::RowMeans{{0, 2, 2, 3, 6}, {2, 0, 1, 0, 1, 2}});
  const Tensor<double> x = random_tensor(3, 4, 84);
  expect_gradients_match({x},
                         [&](Tape<double>&, const Vars& v) { return ops::row_means(v[0], plan); });
  Tape<double> tape;
  const Tensor<double> y = ops::row_means(tape.constant(x), plan).value();
  EXPECT_NEAR(y(0, 1), (x(2, 1) + x(0, 1)) / 2, 1e-15);
  EXPECT_EQ(y(1, 3), 0.0);
  EXPECT_NEAR(y(3, 2), (x(0, 2) + x(1, 2) + x(2, 2)) / 3, 1e-15);
}

TEST(OpsGradient, ScaledAggregateWithBias) {
  const Graph graph = small_graph(true);
  auto gcn =
      std::make_shared<const kernels::AggregateScales<double>>(kernels::gcn_scales<double>(graph));
  expect_gradients_match(
      {random_tensor(5, 3, 36), random_tensor(1, 3, 40)},
      [&](Tape<double>&, const Vars& v) { return ops::scaled_aggregate(v[0], graph, gcn, &v[1]); });
  auto mean =
      std::make_shared<const kernels::AggregateScales<double>>(kernels::mean_scales<double>(graph));
  expect_gradients_match({random_tensor(5, 3, 41)}, [&](Tape<double>&, const Vars& v) {
    return ops::scaled_aggregate(v[0], graph, mean);
  });
}

TEST(OpsGradient, AttentionBackwardRunsOnce) {
  // GAT's backward overwrites its saved node terms (and the other attention
  // ops reuse alpha's buffer for score gradients), so a second backward
  // through the same tape must fail loudly, not compute garbage.
  const Graph graph = small_graph(true);
  Tape<double> tape;
  V z = tape.variable(random_tensor(5, 2, 37));
  V s = tape.variable(random_tensor(5, 1, 38));
  V h = ops::gat_attention(z, s, s, graph, {1, 2}, 0.2, KeyedDropout<double>{});
  V loss = testing::weighted_sum(h, random_tensor(5, 2, 39));
  tape.backward(loss);
  EXPECT_THROW(tape.backward(loss), Error);
}

TEST(OpsValues, FloatEluMatchesExpm1) {
  // The float path uses a vectorised exp and a polynomial near zero.
  Tape<float> tape;
  Tensor<float> x(1, 2001);
  for (int k = 0; k <= 2000; ++k) x(0, std::size_t(k)) = -20.0f + 0.0125f * float(k) - 1e-4f;
  const Tensor<float> y = ops::elu(tape.constant(x)).value();
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double v = x.data()[k];
    const double want = v > 0 ? v : std::expm1(v);
    EXPECT_NEAR(y.data()[k], want, 2e-7 * std::max(1.0, std::abs(want))) << "x = " << v;
    if (v < 0) {
      EXPECT_NEAR(y.data()[k] / want, 1.0, 1e-6) << "relative, x = " << v;
    }
  }
}

TEST(OpsGradient, HeadMean) {
  expect_gradients_match({random_tensor(4, 6, 16)},
                         [](Tape<double>&, const Vars& v) { return ops::head_mean(v[0], 3); });
}

TEST(OpsGradient, LayerNorm) {
  expect_gradients_match(
      {random_tensor(5, 6, 64, -2, 2), random_tensor(1, 6, 65, 0.5, 1.5), random_tensor(1, 6, 66)},
      [](Tape<double>&, const Vars& v) { return ops::layer_norm(v[0], v[1], v[2], 1e-5); });
}

TEST(OpsValues, LayerNormByHand) {
  // Row (1, 2, 3, 6): mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5.
  Tape<double> tape;
  Var<double> x = tape.constant(Tensor<double>(1, 4, {1, 2, 3, 6}));
  Var<double> gamma = tape.constant(Tensor<double>(1, 4, {1, 2, 1, 1}));
  Var<double> beta = tape.constant(Tensor<double>(1, 4, {0, 0, 0, 10}));
  const Tensor<double> y = ops::layer_norm(x, gamma, beta, 0.0).value();
  const double s = std::sqrt(3.5);
  EXPECT_NEAR(y(0, 0), -2 / s, 1e-12);
  EXPECT_NEAR(y(0, 1), 2 * -1 / s, 1e-12);
  EXPECT_NEAR(y(0, 2), 0.0, 1e-12);
  EXPECT_NEAR(y(0, 3), 3 / s + 10, 1e-12);
}

TEST(OpsGradient, BatchNormInTrainingAndEvaluation) {
  for (const bool training : {true, false}) {
    Tensor<double> mean = random_tensor(1, 4, 70), variance = random_tensor(1, 4, 71, 0.5, 2);
    expect_gradients_match({random_tensor(6, 4, 67, -2, 2), random_tensor(1, 4, 68, 0.5, 1.5),
                            random_tensor(1, 4, 69)},
                           [&](Tape<double>&, const Vars& v) {
                             return ops::batch_norm(v[0], v[1], v[2],
                                                    ops::BatchStatistics<double>{&mean, &variance},
                                                    training);
                           });
  }
}

TEST(OpsValues, BatchNormByHand) {
  // Column (1, 2, 6): mean 3, biased variance (4 + 1 + 9) / 3 = 14 / 3,
  // unbiased 7; column (0, 0, 3): mean 1, biased variance 2, unbiased 3.
  Tape<double> tape;
  Var<double> x = tape.constant(Tensor<double>(3, 2, {1, 0, 2, 0, 6, 3}));
  Var<double> gamma = tape.constant(Tensor<double>(1, 2, {2, 1}));
  Var<double> beta = tape.constant(Tensor<double>(1, 2, {0, 5}));
  Tensor<double> mean(1, 2), variance(1, 2, {1, 1});
  const ops::BatchStatistics<double> running{&mean, &variance};
  const Tensor<double> y = ops::batch_norm(x, gamma, beta, running, true, 0.1, 0.0).value();
  const double s0 = std::sqrt(14.0 / 3.0), s1 = std::sqrt(2.0);
  EXPECT_NEAR(y(0, 0), 2 * -2 / s0, 1e-12);
  EXPECT_NEAR(y(2, 0), 2 * 3 / s0, 1e-12);
  EXPECT_NEAR(y(1, 1), -1 / s1 + 5, 1e-12);
  EXPECT_NEAR(y(2, 1), 2 / s1 + 5, 1e-12);
  // The running statistics move a tenth of the way: mean 0 -> 0.3 and 0.1;
  // variance 1 -> 0.9 + 0.7 = 1.6 and 0.9 + 0.3 = 1.2.
  EXPECT_NEAR(mean(0, 0), 0.3, 1e-12);
  EXPECT_NEAR(mean(0, 1), 0.1, 1e-12);
  EXPECT_NEAR(variance(0, 0), 1.6, 1e-12);
  EXPECT_NEAR(variance(0, 1), 1.2, 1e-12);
  // Evaluation uses them and leaves them: row (1, 0) -> 2 (1 - 0.3) / sqrt(1.6).
  const Tensor<double> e = ops::batch_norm(x, gamma, beta, running, false, 0.1, 0.0).value();
  EXPECT_NEAR(e(0, 0), 2 * 0.7 / std::sqrt(1.6), 1e-12);
  EXPECT_NEAR(e(0, 1), -0.1 / std::sqrt(1.2) + 5, 1e-12);
  EXPECT_NEAR(mean(0, 0), 0.3, 1e-12);
  Var<double> none = tape.constant(Tensor<double>(0, 2));
  EXPECT_THROW(ops::batch_norm(none, gamma, beta, running, true), Error);
}

TEST(OpsGradient, LogSoftmax) {
  expect_gradients_match({random_tensor(4, 5, 17, -3, 3)},
                         [](Tape<double>&, const Vars& v) { return ops::log_softmax(v[0]); });
}

TEST(OpsGradient, NllLoss) {
  static const std::vector<std::int32_t> labels{2, 0, 1, 2, 1};
  static const std::vector<NodeId> rows{0, 2, 3};
  expect_gradients_match({random_tensor(5, 3, 18)}, [](Tape<double>&, const Vars& v) {
    return ops::nll_loss(v[0], std::span<const std::int32_t>(labels),
                         std::span<const NodeId>(rows));
  });
}

TEST(OpsGradient, ComposedTwoLayerPath) {
  // Gradients flow through a chain of ops and a value used twice.
  const Graph graph = small_graph(true);
  const kernels::HeadShape shape{2, 2};
  expect_gradients_match({random_tensor(5, 3, 19), random_tensor(3, 4, 20), random_tensor(1, 4, 21),
                          random_tensor(1, 4, 22)},
                         [&](Tape<double>&, const Vars& v) {
                           V z = ops::matmul(v[0], v[1]);
                           V h = ops::gat_attention(z, ops::gat_node_scores(z, v[2], shape),
                                                    ops::gat_node_scores(z, v[3], shape), graph,
                                                    shape, 0.2, KeyedDropout<double>{});
                           return ops::log_softmax(ops::elu(ops::add(h, z)));
                         });
}

TEST(OpsErrors, ShapeMismatchNamesTheOp) {
  Tape<double> tape;
  try {
    ops::matmul(tape.constant(Tensor<double>(2, 3)), tape.constant(Tensor<double>(4, 2)));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("matmul"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::head_mean(tape.constant(Tensor<double>(2, 5)), 2), Error);
  EXPECT_THROW(ops::dropout(tape.constant(Tensor<double>(2, 5)), KeyedDropout<double>{1.0, 0}),
               Error);
}

TEST(Tape, BackwardNeedsAScalarThatDependsOnSomething) {
  Tape<double> tape;
  EXPECT_THROW(tape.backward(tape.variable(Tensor<double>(2, 2))), Error);
  EXPECT_THROW(tape.backward(tape.constant(Tensor<double>(1, 1))), Error);
}

TEST(Tape, BackwardWithASeedGradientEqualsAWeightedSum) {
  // out.backward(r) must give the same gradients as sum(r .* out).backward().
  const Tensor<double> x0 = random_tensor(3, 4, 40), r = random_tensor(3, 4, 41);
  Tape<double> a, b;
  V xa = a.variable(x0), xb = b.variable(x0);
  a.backward(ops::elu(xa), r);
  b.backward(testing::weighted_sum(ops::elu(xb), r));
  const Tensor<double>& ga = *a.find_grad(xa.id());
  const Tensor<double>& gb = *b.find_grad(xb.id());
  for (std::size_t k = 0; k < ga.size(); ++k) EXPECT_DOUBLE_EQ(ga.data()[k], gb.data()[k]);
  EXPECT_THROW(a.backward(xa, Tensor<double>(2, 2)), Error);  // wrong seed shape
}

TEST(Tape, ParameterGradientsAccumulateAcrossTapes) {
  Parameter<double> p("p", Tensor<double>(1, 2, {1.0, 2.0}));
  for (int step = 0; step < 2; ++step) {
    Tape<double> tape;
    tape.backward(testing::weighted_sum(tape.parameter(p), Tensor<double>(1, 2, {3.0, -1.0})));
  }
  EXPECT_DOUBLE_EQ(p.grad(0, 0), 6.0);
  EXPECT_DOUBLE_EQ(p.grad(0, 1), -2.0);
  p.zero_grad();
  EXPECT_DOUBLE_EQ(p.grad(0, 0), 0.0);
}

}  // namespace
}  // namespace heed
