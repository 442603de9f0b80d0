// The tape's gradient bookkeeping, by hand on tiny values: accumulate_grad
// takes a buffer when the gradient is new and adds otherwise, and the
// gradients of intermediate results are released after backward while
// those of variables stay.
#include "heed/autograd/tape.hpp"

#include <gtest/gtest.h>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/tensor/buffer_cache.hpp"

namespace heed {
namespace {

TEST(Tape, AccumulateGradTakesTheBufferThenAdds) {
  Tape<double> tape;
  Var<double> x = tape.variable(Tensor<double>(1, 3, {1, 2, 3}));
  Tensor<double> g(1, 3, {0.5, -1, 2});
  const double* buffer = g.data();
  tape.accumulate_grad(x.id(), g);
  EXPECT_TRUE(g.empty());
  ASSERT_NE(tape.find_grad(x.id()), nullptr);
  EXPECT_EQ(tape.find_grad(x.id())->data(), buffer);  // taken, not copied
  Tensor<double> h(1, 3, {1, 1, 1});
  tape.accumulate_grad(x.id(), h);
  const Tensor<double>& gx = *tape.find_grad(x.id());
  EXPECT_EQ(gx(0, 0), 1.5);
  EXPECT_EQ(gx(0, 1), 0.0);
  EXPECT_EQ(gx(0, 2), 3.0);
  Tensor<double> wrong(3, 1);
  EXPECT_THROW(tape.accumulate_grad(x.id(), wrong), Error);
  Var<double> c = tape.constant(Tensor<double>(1, 3));
  EXPECT_THROW(tape.accumulate_grad(c.id(), h), Error);
}

TEST(Tape, ResidualSumOfAValueWithItselfCountsTwice) {
  // y = sum((x + x) + b): dy/dx = 2, dy/db = 1, with add's gradient taking
  // and adding buffers.
  Tape<double> tape(std::make_shared<BufferCache>());
  Var<double> x = tape.variable(Tensor<double>(2, 2, {1, -2, 3, 4}));
  Var<double> b = tape.variable(Tensor<double>(1, 2, {0.5, 0.25}));
  Var<double> y = ops::add_bias(ops::add(x, x), b);
  tape.backward(y, Tensor<double>(2, 2, {1, 1, 1, 1}));
  for (double v : tape.find_grad(x.id())->values()) EXPECT_EQ(v, 2.0);
  EXPECT_EQ((*tape.find_grad(b.id()))(0, 0), 2.0);  // summed over the two rows
  EXPECT_EQ((*tape.find_grad(b.id()))(0, 1), 2.0);
  // The intermediate result's gradient is gone after backward.
  EXPECT_EQ(tape.find_grad(y.id()), nullptr);
}

TEST(Tape, ElementwiseBackwardInPlaceMatchesHandValues) {
  // relu then elu: d/dx elu(relu(x)) = 1 where x > 0, else 0.
  Tape<double> tape;
  Var<double> x = tape.variable(Tensor<double>(1, 4, {-1, 0.5, 2, -3}));
  Var<double> y = ops::elu(ops::relu(x), 1.0);
  tape.backward(y, Tensor<double>(1, 4, {2, 3, 4, 5}));
  const Tensor<double>& gx = *tape.find_grad(x.id());
  EXPECT_EQ(gx(0, 0), 0.0);
  EXPECT_EQ(gx(0, 1), 3.0);
  EXPECT_EQ(gx(0, 2), 4.0);
  EXPECT_EQ(gx(0, 3), 0.0);
}

}  // namespace
}  // namespace heed
