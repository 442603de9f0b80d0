#pragma once
// Finite-difference gradient checks for ops on the tape, in double precision.
// The checked scalar is sum(R .* f(inputs)) for a fixed random R, so every
// output element's gradient path is exercised with a different weight.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "support/single_thread.hpp"

namespace heed::testing {

using Build = std::function<Var<double>(Tape<double>&, const std::vector<Var<double>>&)>;

/// A matrix of uniform values in [lo, hi), reproducible from `seed`.
inline Tensor<double> random_tensor(std::size_t rows, std::size_t cols, unsigned seed,
                                    double lo = -1.0, double hi = 1.0) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  Tensor<double> t(rows, cols);
  for (double& v : t.values()) v = u(engine);
  return t;
}

/// sum(r .* x) as a 1 x 1 value on the tape.
inline Var<double> weighted_sum(Var<double> x, const Tensor<double>& r) {
  Tape<double>& tape = x.tape();
  double total = 0;
  for (std::size_t k = 0; k < r.size(); ++k) total += r.data()[k] * x.value().data()[k];
  const std::size_t id = x.id();
  return tape.record(Tensor<double>(1, 1, {total}), x.requires_grad(),
                     [&tape, id, r](const Tensor<double>& g) {
                       Tensor<double>& gx = tape.grad(id);
                       for (std::size_t k = 0; k < r.size(); ++k)
                         gx.data()[k] += g(0, 0) * r.data()[k];
                     });
}

/// Compares the tape's gradient of every input with central differences.
/// `differentiable[i]` false makes input i a constant (not checked).
inline void expect_gradients_match(const std::vector<Tensor<double>>& inputs, const Build& build,
                                   std::vector<bool> differentiable = {}, double step = 1e-6,
                                   double tolerance = 1e-6) {
  const SingleThread one_thread;
  if (differentiable.empty()) differentiable.assign(inputs.size(), true);
  auto value_and_output = [&](const std::vector<Tensor<double>>& xs, const Tensor<double>* r,
                              Tensor<double>* out_shape) {
    Tape<double> tape;
    std::vector<Var<double>> vars;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      vars.push_back(differentiable[i] ? tape.variable(xs[i]) : tape.constant(xs[i]));
    }
    Var<double> out = build(tape, vars);
    if (out_shape) *out_shape = out.value();
    return r ? weighted_sum(out, *r).value()(0, 0) : 0.0;
  };
  Tensor<double> shape;
  value_and_output(inputs, nullptr, &shape);
  const Tensor<double> r = random_tensor(shape.rows(), shape.cols(), 12345, 0.5, 1.5);

  Tape<double> tape;
  std::vector<Var<double>> vars;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    vars.push_back(differentiable[i] ? tape.variable(inputs[i]) : tape.constant(inputs[i]));
  }
  Var<double> loss = weighted_sum(build(tape, vars), r);
  tape.backward(loss);

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable[i]) continue;
    const Tensor<double>* analytic = tape.find_grad(vars[i].id());
    ASSERT_NE(analytic, nullptr) << "no gradient reached input " << i;
    for (std::size_t k = 0; k < inputs[i].size(); ++k) {
      std::vector<Tensor<double>> plus = inputs, minus = inputs;
      plus[i].data()[k] += step;
      minus[i].data()[k] -= step;
      const double numeric =
          (value_and_output(plus, &r, nullptr) - value_and_output(minus, &r, nullptr)) / (2 * step);
      EXPECT_NEAR(analytic->data()[k], numeric, tolerance * (1 + std::abs(numeric)))
          << "input " << i << ", element " << k;
    }
  }
}

}  // namespace heed::testing
