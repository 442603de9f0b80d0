// Embedding lookups: values and the table's gradient by hand (an id used
// twice sums its rows), by finite differences in double, the same sums in
// parallel on a large table, and ids outside the table refused.
#include <gtest/gtest.h>

#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

using testing::random_tensor;
using Vars = std::vector<Var<double>>;

TEST(Embedding, RowsAndTheirGradientByHand) {
  const Tensor<double> table(3, 2, {1, 2, 3, 4, 5, 6});
  const std::vector<std::int32_t> ids{2, 0, 2, 1};
  Tape<double> tape;
  Var<double> t = tape.variable(table);
  Var<double> out = ops::embedding(t, ids);
  const std::vector<double> want{5, 6, 1, 2, 5, 6, 3, 4};
  ASSERT_EQ(out.value().rows(), 4u);
  for (std::size_t k = 0; k < want.size(); ++k) EXPECT_EQ(out.value().data()[k], want[k]);
  // Loss sum_ic r_ic out_ic with r_ic = 10 i + c: row 2 gathers rows 0 and 2.
  Tensor<double> r(4, 2);
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t c = 0; c < 2; ++c) r(i, c) = 10.0 * double(i) + double(c);
  }
  tape.backward(testing::weighted_sum(out, r));
  const Tensor<double>& g = *tape.find_grad(t.id());
  const std::vector<double> grad{10, 11, 30, 31, 0 + 20, 1 + 21};
  for (std::size_t k = 0; k < grad.size(); ++k) EXPECT_EQ(g.data()[k], grad[k]) << k;
}

TEST(OpsGradient, Embedding) {
  const std::vector<std::int32_t> ids{3, 1, 3, 0, 4, 1, 3};
  testing::expect_gradients_match({random_tensor(5, 3, 31)}, [&](Tape<double>&, const Vars& v) {
    return ops::embedding(v[0], ids);
  });
}

TEST(Embedding, ParallelSumsEqualASerialLoop) {
  const std::size_t vocab = 300, width = 32, n = 5000;
  const Tensor<double> table = random_tensor(vocab, width, 5);
  std::vector<std::int32_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = std::int32_t((i * 7919 + i / 3) % vocab);
  const Tensor<double> r = random_tensor(n, width, 6);
  Tape<double> tape;
  Var<double> t = tape.variable(table);
  tape.backward(testing::weighted_sum(ops::embedding(t, ids), r));
  std::vector<double> serial(vocab * width, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < width; ++c) serial[std::size_t(ids[i]) * width + c] += r(i, c);
  }
  const Tensor<double>& g = *tape.find_grad(t.id());
  for (std::size_t k = 0; k < serial.size(); ++k) ASSERT_EQ(g.data()[k], serial[k]) << k;
}

TEST(Embedding, IdsOutsideTheTableAreRefused) {
  Tape<double> tape;
  Var<double> t = tape.variable(random_tensor(3, 2, 1));
  const std::vector<std::int32_t> high{0, 3}, low{-1};
  EXPECT_THROW(ops::embedding(t, high), Error);
  try {
    ops::embedding(t, low);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "embedding: id -1 at row 0 is outside the table's 3 rows");
  }
}

}  // namespace
}  // namespace heed
