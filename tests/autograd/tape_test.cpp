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

TEST(Tape, BackwardTakesAMovedSeedAsTheOutputsGradient) {
  // y = x + b; a seed handed over by move reaches x and b as a copied one does.
  Tape<double> tape;
  Var<double> x = tape.variable(Tensor<double>(2, 2, {1, 2, 3, 4}));
  Var<double> b = tape.variable(Tensor<double>(1, 2, {0, 0}));
  Var<double> y = ops::add_bias(x, b);
  Tensor<double> seed(2, 2, {0.5, -1, 2, 3});
  tape.backward(y, std::move(seed));
  EXPECT_TRUE(seed.empty());  // NOLINT(bugprone-use-after-move): taken, as documented
  const Tensor<double>& gx = *tape.find_grad(x.id());
  EXPECT_EQ(gx(0, 1), -1.0);
  EXPECT_EQ(gx(1, 1), 3.0);
  EXPECT_EQ((*tape.find_grad(b.id()))(0, 0), 2.5);
  Tape<double> other;
  Var<double> z = other.variable(Tensor<double>(1, 1, {1}));
  EXPECT_THROW(tape.backward(z, Tensor<double>(1, 1, {1})), Error);  // another tape's value
}

TEST(Tape, WithoutGradientsParametersAreConstantsAndNothingIsRecorded) {
  Parameter<double> w("w", Tensor<double>(2, 1, {1, 2}));
  w.grad.fill(5);
  Tape<double> tape(Tape<double>::Gradients::kOff);
  Var<double> x = tape.constant(Tensor<double>(1, 2, {3, 4}));
  Var<double> wv = tape.parameter(w);
  EXPECT_FALSE(wv.requires_grad());
  EXPECT_EQ(&wv.value(), &w.value);  // read in place
  Var<double> y = ops::matmul(x, wv);
  EXPECT_EQ(y.value()(0, 0), 11.0);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_THROW(tape.backward(y, Tensor<double>(1, 1, {1})), Error);
  EXPECT_EQ(w.grad(0, 0), 5.0);  // untouched
  // The same parameter on a tape with gradients takes them.
  Tape<double> training;
  Var<double> y2 =
      ops::matmul(training.constant(Tensor<double>(1, 2, {3, 4})), training.parameter(w));
  training.backward(y2, Tensor<double>(1, 1, {1}));
  EXPECT_EQ(w.grad(0, 0), 8.0);
  EXPECT_EQ(w.grad(1, 0), 9.0);
}

}  // namespace
}  // namespace heed
