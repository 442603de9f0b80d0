#include "heed/optim/adam.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include "heed/error.hpp"

namespace heed::optim {

template <class T>
Adam<T>::Adam(std::vector<Parameter<T>*> parameters, const AdamOptions& options)
    : parameters_(std::move(parameters)), options_(options) {
  if (!(options_.lr > 0.0)) throw Error("Adam: lr must be > 0, got " + std::to_string(options_.lr));
  if (!(options_.weight_decay >= 0.0)) {
    throw Error("Adam: weight_decay must be >= 0, got " + std::to_string(options_.weight_decay));
  }
  if (!(options_.beta1 >= 0.0 && options_.beta1 < 1.0 && options_.beta2 >= 0.0 &&
        options_.beta2 < 1.0)) {
    throw Error("Adam: betas must be in [0, 1)");
  }
  for (Parameter<T>* p : parameters_) {
    m_.emplace_back(p->value.rows(), p->value.cols());
    v_.emplace_back(p->value.rows(), p->value.cols());
  }
}

template <class T>
void Adam<T>::step() {
  ++step_;
  // theta -= lr * m_hat / (sqrt(v_hat) + eps), with g = grad + wd * theta.
  const double bc1 = 1.0 - std::pow(options_.beta1, double(step_));
  const double bc2 = 1.0 - std::pow(options_.beta2, double(step_));
  const T lr_t = T(options_.lr / bc1);
  const T b1 = T(options_.beta1), b2 = T(options_.beta2), eps = T(options_.eps);
  const T inv_sqrt_bc2 = T(1.0 / std::sqrt(bc2));
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    Parameter<T>& p = *parameters_[k];
    const T wd = p.decay ? T(options_.weight_decay) : T(0);
    T* theta = p.value.data();
    const T* g = p.grad.data();
    T* m = m_[k].data();
    T* v = v_[k].data();
    const std::int64_t n = std::int64_t(p.value.size());
    // Element by element, so the thread count cannot change a result; a
    // first layer's weights (Cora's 92k) are worth two threads, a bias is not.
#pragma omp parallel for simd schedule(static) if (n >= 16384)
    for (std::int64_t i = 0; i < n; ++i) {
      const T gi = g[i] + wd * theta[i];
      m[i] = b1 * m[i] + (T(1) - b1) * gi;
      v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
      theta[i] -= lr_t * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
    }
  }
}

template <class T>
void Adam<T>::zero_grad() {
  for (Parameter<T>* p : parameters_) p->zero_grad();
}

template <class T>
void Adam<T>::restore(State state) {
  if (state.m.size() != parameters_.size() || state.v.size() != parameters_.size()) {
    throw Error("Adam: the saved state has " + std::to_string(state.m.size()) +
                " moments, the optimiser " + std::to_string(parameters_.size()) + " parameters");
  }
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    const Tensor<T>& p = parameters_[k]->value;
    if (!state.m[k].same_shape(p) || !state.v[k].same_shape(p)) {
      throw Error("Adam: the saved moments of parameter " + std::to_string(k) + " ('" +
                  parameters_[k]->name + "') have the wrong shape");
    }
  }
  if (state.step < 0) throw Error("Adam: negative step count in the saved state");
  m_ = std::move(state.m);
  v_ = std::move(state.v);
  step_ = state.step;
}

template class Adam<float>;
template class Adam<double>;

}  // namespace heed::optim
