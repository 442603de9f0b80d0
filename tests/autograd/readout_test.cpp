// Readouts over the graphs of a batch: values against a dense reference
// written from each graph's node list (the batch vector, as PyG gives it),
// by hand on a small batch, and gradients by finite differences in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;
using Vars = std::vector<Var<double>>;

// Six nodes in four graphs; graph 1 has no nodes.
const std::vector<std::int64_t> kBatch = {0, 0, 0, 2, 2, 3};
const std::vector<std::int64_t> kOffsets = {0, 3, 3, 5, 6};
constexpr std::size_t kGraphs = 4;

// The dense reference: for each graph, its nodes by scanning the batch vector.
std::vector<std::vector<std::size_t>> members() {
  std::vector<std::vector<std::size_t>> m(kGraphs);
  for (std::size_t i = 0; i < kBatch.size(); ++i) m[std::size_t(kBatch[i])].push_back(i);
  return m;
}

TEST(Readout, SumAndMeanByHand) {
  Tape<double> tape;
  Tensor<double> x(6, 2, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1, 0.5});
  const Tensor<double> sum = ops::segment_sum(tape.constant(x), kOffsets).value();
  const Tensor<double> mean = ops::segment_mean(tape.constant(x), kOffsets).value();
  const Tensor<double> sum_want(4, 2, {9, 12, 0, 0, 16, 18, -1, 0.5});
  const Tensor<double> mean_want(4, 2, {3, 4, 0, 0, 8, 9, -1, 0.5});
  for (std::size_t k = 0; k < 8; ++k) {
    EXPECT_DOUBLE_EQ(sum.data()[k], sum_want.data()[k]) << k;
    EXPECT_DOUBLE_EQ(mean.data()[k], mean_want.data()[k]) << k;
  }
}

TEST(Readout, MaxByHandWithTiesAndAnEmptyGraph) {
  Tape<double> tape;
  Var<double> x = tape.variable(Tensor<double>(6, 2, {1, 7, 3, 7, 2, -1, 9, 0, 9, -5, -4, -3}));
  Var<double> out = ops::segment_max(x, kOffsets);
  const Tensor<double> want(4, 2, {3, 7, 0, 0, 9, 0, -4, -3});
  for (std::size_t k = 0; k < 8; ++k) EXPECT_DOUBLE_EQ(out.value().data()[k], want.data()[k]);
  // The gradient goes to the first winner of a tie (rows 0 and 3).
  tape.backward(out, Tensor<double>(4, 2, {1, 2, 3, 4, 5, 6, 7, 8}));
  const Tensor<double> grad_want(6, 2, {0, 2, 1, 0, 0, 0, 5, 6, 0, 0, 7, 8});
  const Tensor<double>& grad = *tape.find_grad(x.id());
  for (std::size_t k = 0; k < 12; ++k) EXPECT_DOUBLE_EQ(grad.data()[k], grad_want.data()[k]) << k;
}

TEST(Readout, AgreesWithTheDenseReference) {
  const Tensor<double> x = random_tensor(6, 5, 11);
  Tape<double> tape;
  const Tensor<double> sum = ops::segment_sum(tape.constant(x), kOffsets).value();
  const Tensor<double> mean = ops::segment_mean(tape.constant(x), kOffsets).value();
  const Tensor<double> max = ops::segment_max(tape.constant(x), kOffsets).value();
  const auto m = members();
  for (std::size_t g = 0; g < kGraphs; ++g) {
    for (std::size_t c = 0; c < 5; ++c) {
      double s = 0, top = m[g].empty() ? 0.0 : -1e300;
      for (std::size_t i : m[g]) s += x(i, c), top = std::max(top, x(i, c));
      EXPECT_NEAR(sum(g, c), s, 1e-12);
      EXPECT_NEAR(mean(g, c), m[g].empty() ? 0.0 : s / double(m[g].size()), 1e-12);
      EXPECT_EQ(max(g, c), top);
    }
  }
}

TEST(Readout, SoftmaxAndAttentionPoolingAgreeWithTheDenseReference) {
  // r_g = sum_{i in g} softmax_i(gate_i) f_i, softmax over g's nodes.
  const Tensor<double> gate = random_tensor(6, 1, 12, -3, 3);
  const Tensor<double> f = random_tensor(6, 4, 13);
  Tape<double> tape;
  Var<double> weights = ops::segment_softmax(tape.constant(gate), kOffsets);
  const Tensor<double> pooled =
      ops::segment_sum(ops::scale_rows(tape.constant(f), weights), kOffsets).value();
  const auto m = members();
  for (std::size_t g = 0; g < kGraphs; ++g) {
    double z = 0;
    for (std::size_t i : m[g]) z += std::exp(gate(i, 0));
    double total = 0;
    for (std::size_t i : m[g]) {
      EXPECT_NEAR(weights.value()(i, 0), std::exp(gate(i, 0)) / z, 1e-12);
      total += weights.value()(i, 0);
    }
    if (!m[g].empty()) {
      EXPECT_NEAR(total, 1.0, 1e-12);
    }
    for (std::size_t c = 0; c < 4; ++c) {
      double want = 0;
      for (std::size_t i : m[g]) want += std::exp(gate(i, 0)) / z * f(i, c);
      EXPECT_NEAR(pooled(g, c), want, 1e-12);
    }
  }
}

TEST(Readout, SoftmaxIsSafeForLargeScores) {
  Tape<double> tape;
  const Tensor<double> y =
      ops::segment_softmax(tape.constant(Tensor<double>(6, 1, {1000, 999, 1000, -800, -801, 5})),
                           kOffsets)
          .value();
  for (double v : y.values()) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(y(0, 0), y(2, 0), 1e-15);
  EXPECT_NEAR(y(5, 0), 1.0, 1e-15);
}

TEST(OpsGradient, SegmentSum) {
  expect_gradients_match({random_tensor(6, 3, 21)}, [](Tape<double>&, const Vars& v) {
    return ops::segment_sum(v[0], kOffsets);
  });
}

TEST(OpsGradient, SegmentMean) {
  expect_gradients_match({random_tensor(6, 3, 22)}, [](Tape<double>&, const Vars& v) {
    return ops::segment_mean(v[0], kOffsets);
  });
}

TEST(OpsGradient, SegmentMax) {
  // Random values: no ties, so the max is differentiable at the point.
  expect_gradients_match({random_tensor(6, 3, 23)}, [](Tape<double>&, const Vars& v) {
    return ops::segment_max(v[0], kOffsets);
  });
}

TEST(OpsGradient, SegmentSoftmaxWithTwoHeads) {
  expect_gradients_match({random_tensor(6, 2, 24)}, [](Tape<double>&, const Vars& v) {
    return ops::segment_softmax(v[0], kOffsets);
  });
}

TEST(OpsGradient, ScaleRows) {
  expect_gradients_match({random_tensor(6, 3, 25), random_tensor(6, 1, 26)},
                         [](Tape<double>&, const Vars& v) { return ops::scale_rows(v[0], v[1]); });
}

TEST(OpsGradient, AttentionPooling) {
  expect_gradients_match({random_tensor(6, 1, 27), random_tensor(6, 4, 28)},
                         [](Tape<double>&, const Vars& v) {
                           Var<double> w = ops::segment_softmax(v[0], kOffsets);
                           return ops::segment_sum(ops::scale_rows(v[1], w), kOffsets);
                         });
}

TEST(Readout, BadOffsetsNameTheOpAndTheProblem) {
  Tape<double> tape;
  Var<double> x = tape.constant(random_tensor(6, 2, 29));
  auto message = [&](const std::vector<std::int64_t>& offsets) {
    try {
      ops::segment_mean(x, offsets);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({}).find("segment_mean: no graph offsets"), std::string::npos);
  EXPECT_NE(message({0, 3, 5}).find("expected 0 to the input's 6 rows"), std::string::npos);
  EXPECT_NE(message({0, 4, 2, 6}).find("graph offset 2 (2) is below offset 1 (4)"),
            std::string::npos);
  EXPECT_THROW(ops::scale_rows(x, tape.constant(random_tensor(5, 1, 30))), Error);
}

}  // namespace
}  // namespace heed
