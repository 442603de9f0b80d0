// The task losses and the scalar scale: finite differences in double, and
// values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/kernels/spmm.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;
using Vars = std::vector<Var<double>>;

const std::vector<NodeId> kRows{3, 0, 2};

TEST(OpsGradient, CrossEntropy) {
  const std::vector<std::int32_t> classes{1, 0, 2};
  expect_gradients_match({random_tensor(4, 3, 1)}, [&](Tape<double>&, const Vars& v) {
    return ops::cross_entropy(v[0], std::span<const NodeId>(kRows),
                              std::span<const std::int32_t>(classes));
  });
}

TEST(OpsGradient, BceWithLogitsIncludingLargeLogits) {
  Tensor<double> x = random_tensor(4, 2, 2, -3, 3);
  x(3, 0) = 40;  // far in the tails, where a naive log(sigmoid) would be inf
  x(0, 1) = -40;
  const Tensor<double> y(3, 2, {1, 0, 0, 1, 1, 1});
  expect_gradients_match({x}, [&](Tape<double>&, const Vars& v) {
    return ops::bce_with_logits(v[0], std::span<const NodeId>(kRows), y);
  });
}

TEST(OpsGradient, MseAndL1) {
  const Tensor<double> y = random_tensor(3, 2, 3);
  expect_gradients_match({random_tensor(4, 2, 4)}, [&](Tape<double>&, const Vars& v) {
    return ops::mse_loss(v[0], std::span<const NodeId>(kRows), y);
  });
  expect_gradients_match({random_tensor(4, 2, 5)}, [&](Tape<double>&, const Vars& v) {
    return ops::l1_loss(v[0], std::span<const NodeId>(kRows), y);
  });
}

TEST(OpsGradient, Scale) {
  expect_gradients_match({random_tensor(3, 4, 6), random_tensor(1, 1, 7)},
                         [](Tape<double>&, const Vars& v) { return ops::scale(v[0], v[1]); });
}

TEST(OpsValues, LossesByHand) {
  Tape<double> tape;
  // Rows 0 and 1 of logits [[0, ln 3], [2, 2]]: softmax [1/4, 3/4] and [1/2, 1/2].
  const Var<double> x = tape.constant(Tensor<double>(2, 2, {0, std::log(3.0), 2, 2}));
  const std::vector<NodeId> rows{0, 1};
  const std::vector<std::int32_t> classes{1, 0};
  EXPECT_NEAR(
      ops::cross_entropy(x, std::span<const NodeId>(rows), std::span<const std::int32_t>(classes))
          .value()(0, 0),
      (-std::log(0.75) - std::log(0.5)) / 2, 1e-15);
  // BCE of logit 0 is ln 2 whatever the target; of logit 2 with target 1, ln(1 + e^-2).
  const Tensor<double> y(2, 2, {1, 0, 1, 1});
  const double bce = (std::log(2.0) + (std::log(3.0) + std::log1p(std::exp(-std::log(3.0)))) +
                      2 * std::log1p(std::exp(-2.0))) /
                     4;
  EXPECT_NEAR(ops::bce_with_logits(x, std::span<const NodeId>(rows), y).value()(0, 0), bce, 1e-15);
  // MSE and L1 against [[1, 0], [1, 1]].
  const double l3 = std::log(3.0);
  EXPECT_NEAR(ops::mse_loss(x, std::span<const NodeId>(rows), y).value()(0, 0),
              (1 + l3 * l3 + 1 + 1) / 4, 1e-15);
  EXPECT_NEAR(ops::l1_loss(x, std::span<const NodeId>(rows), y).value()(0, 0), (1 + l3 + 1 + 1) / 4,
              1e-15);
  EXPECT_THROW(ops::mse_loss(x, std::span<const NodeId>(rows), Tensor<double>(1, 2)), Error);
  const std::vector<std::int32_t> bad{1, 2};
  EXPECT_THROW(
      ops::cross_entropy(x, std::span<const NodeId>(rows), std::span<const std::int32_t>(bad)),
      Error);
}

// Input features with a sparse form: dropout on them is deferred into the
// product, and gives what dropout on the dense matrix gives.
TEST(OpsValues, DeferredDropoutOfSparseFeaturesEqualsTheDenseDropout) {
  Tensor<double> x(6, 20);
  for (int k = 0; k < 9; ++k) x(std::size_t(k % 6), std::size_t((7 * k) % 20)) = 0.5 + k;
  auto sparse = std::make_shared<const kernels::SparseMatrix<double>>(kernels::sparse_matrix(x));
  const Tensor<double> w = random_tensor(20, 3, 8);
  const KeyedDropout<double> drop{0.5, 1234};
  Tape<double> tape;
  const Var<double> features = tape.features(x, sparse);
  const Var<double> dropped = ops::dropout(features, drop);
  EXPECT_TRUE(tape.sparse_form(dropped.id()));
  EXPECT_EQ(dropped.rows(), 6u);
  const Var<double> wv = tape.variable(w);
  const Tensor<double> via_sparse = ops::matmul(dropped, wv).value();
  const Var<double> dense = ops::dropout(tape.constant(x), drop);
  const Tensor<double> via_dense = ops::matmul(dense, wv).value();
  for (std::size_t k = 0; k < via_dense.size(); ++k) {
    EXPECT_NEAR(via_sparse.data()[k], via_dense.data()[k], 1e-14);
  }
  // Read as a value, the deferred dropout is the dense one exactly.
  for (std::size_t k = 0; k < x.size(); ++k) {
    EXPECT_EQ(dropped.value().data()[k], dense.value().data()[k]);
  }
}

}  // namespace
}  // namespace heed
