#include "heed/optim/adam.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "heed/error.hpp"

namespace heed::optim {
namespace {

// Adam written out for one scalar, straight from Kingma and Ba's Algorithm 1.
struct ScalarAdam {
  double lr, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0;
  double m = 0, v = 0;
  int t = 0;
  double step(double theta, double grad) {
    const double g = grad + wd * theta;
    ++t;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const double mhat = m / (1 - std::pow(b1, t)), vhat = v / (1 - std::pow(b2, t));
    return theta - lr * mhat / (std::sqrt(vhat) + eps);
  }
};

TEST(Adam, MatchesTheAlgorithmStepByStep) {
  Parameter<double> w("w", Tensor<double>(1, 2, {0.5, -1.0}));
  Parameter<double> b("b", Tensor<double>(1, 1, {2.0}), /*decay=*/false);
  Adam<double> adam({&w, &b}, AdamOptions{.lr = 0.01, .weight_decay = 0.1});
  ScalarAdam w0{.lr = 0.01, .wd = 0.1}, w1{.lr = 0.01, .wd = 0.1}, b0{.lr = 0.01, .wd = 0.0};
  double e0 = 0.5, e1 = -1.0, eb = 2.0;
  for (int step = 0; step < 5; ++step) {
    adam.zero_grad();
    // Gradients of a made-up loss that change each step.
    w.grad(0, 0) = 0.3 * step - 0.2;
    w.grad(0, 1) = 1.5;
    b.grad(0, 0) = -0.7 + 0.1 * step;
    e0 = w0.step(e0, w.grad(0, 0));
    e1 = w1.step(e1, w.grad(0, 1));
    eb = b0.step(eb, b.grad(0, 0));
    adam.step();
    EXPECT_NEAR(w.value(0, 0), e0, 1e-12);
    EXPECT_NEAR(w.value(0, 1), e1, 1e-12);
    EXPECT_NEAR(b.value(0, 0), eb, 1e-12);  // no decay on this one
  }
  EXPECT_EQ(adam.steps(), 5);
}

TEST(Adam, MinimisesAQuadratic) {
  Parameter<float> x("x", Tensor<float>(1, 3, {3.0f, -2.0f, 0.5f}));
  Adam<float> adam({&x}, AdamOptions{.lr = 0.05});
  for (int step = 0; step < 2000; ++step) {
    adam.zero_grad();
    for (std::size_t i = 0; i < 3; ++i) x.grad(0, i) = 2 * (x.value(0, i) - float(i));
    adam.step();
  }
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(x.value(0, i), float(i), 1e-2);
}

TEST(Adam, RejectsBadOptions) {
  Parameter<double> w("w", Tensor<double>(1, 1));
  EXPECT_THROW(Adam<double>({&w}, AdamOptions{.lr = 0.0}), Error);
  EXPECT_THROW(Adam<double>({&w}, AdamOptions{.weight_decay = -1.0}), Error);
  EXPECT_THROW(Adam<double>({&w}, AdamOptions{.beta1 = 1.0}), Error);
}

}  // namespace
}  // namespace heed::optim
