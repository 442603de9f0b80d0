#pragma once
// Parameter initialisers.
#include "heed/tensor/random.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::nn {

/// Glorot (Xavier) uniform: U(-b, b), b = sqrt(6 / (fan_in + fan_out)).
template <class T>
Tensor<T> glorot_uniform(std::size_t rows, std::size_t cols, std::size_t fan_in,
                         std::size_t fan_out, Rng& rng) {
  Tensor<T> t(rows, cols);
  const double bound = std::sqrt(6.0 / double(fan_in + fan_out));
  for (T& v : t.values()) v = static_cast<T>(rng.uniform(-bound, bound));
  return t;
}

}  // namespace heed::nn
