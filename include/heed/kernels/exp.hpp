#pragma once
// exp for the softmax inner loops. In float, a branch-free Cephes-style
// polynomial, also given for 8 lanes at once (GCC vector extensions), since
// std::exp is a library call that no compiler vectorises without
// -ffast-math; in double, std::exp, so double-precision tests see the exact
// reference function.
//   exp(x) = 2^n * exp(r),  n = round(x / ln 2),  r = x - n ln 2 in [-ln2/2, ln2/2]
// Relative error below 2e-7 over the float range; NaN stays NaN; inputs
// below -87.3 give about 1e-38 rather than 0, and above 88.7 saturate.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace heed::kernels {

namespace exp_detail {

// One body for a float and for a vector of floats (F) with its integer
// vector type (I): clamp, split off 2^n, polynomial for exp(r), rescale.
// Works in place: vector types passed by value would change the ABI
// between instruction sets (-Wpsabi).
template <class F, class I>
inline void exp_body(F& x) {
  // `x < lo ? lo : x` lets NaN through.
  x = x < -87.3f ? F{} + -87.3f : x;
  x = x > 88.7f ? F{} + 88.7f : x;
  // Round to nearest by the 1.5 * 2^23 trick (vectorises, unlike nearbyint).
  const float shifter = 12582912.0f;
  const F n = (x * 1.44269504088896341f + shifter) - shifter;
  // Cody-Waite: ln 2 in two parts so r keeps its low bits.
  F r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  F p = F{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // NaN has no integer: converting it is undefined, so its exponent is 0
  // (p is NaN already, and so is the result).
  const F whole = n == n ? n : F{};
  I bits;
  if constexpr (std::is_same_v<F, float>) {
    bits = (std::int32_t(whole) + 127) << 23;
  } else {
    bits = (__builtin_convertvector(whole, I) + 127) << 23;
  }
  x = p * std::bit_cast<F>(bits);
}

}  // namespace exp_detail

inline float vector_exp(float x) {
  exp_detail::exp_body<float, std::int32_t>(x);
  return x;
}

inline double vector_exp(double x) {
  return std::exp(x);
}

/// exp of a GCC vector of floats F in place (I: the int32 vector of the
/// same lane count), lane for lane equal to vector_exp(float).
template <class F, class I>
inline void vector_exp_lanes(F& x) {
  exp_detail::exp_body<F, I>(x);
}

/// x[0:n] = exp(x[0:n]): vector_exp lane by lane, a vector register at a
/// time (8 floats with AVX, else 4).
inline void exp_in_place(float* x, std::int64_t n) {
#ifdef __AVX__
  constexpr int kWidth = 8;
#else
  constexpr int kWidth = 4;
#endif
  using Floats [[gnu::vector_size(kWidth * sizeof(float))]] = float;
  using Ints [[gnu::vector_size(kWidth * sizeof(std::int32_t))]] = std::int32_t;
  std::int64_t k = 0;
  for (; k + kWidth <= n; k += kWidth) {
    Floats v;
    std::memcpy(&v, x + k, sizeof v);
    vector_exp_lanes<Floats, Ints>(v);
    std::memcpy(x + k, &v, sizeof v);
  }
  for (; k < n; ++k) x[k] = vector_exp(x[k]);
}
inline void exp_in_place(double* x, std::int64_t n) {
  for (std::int64_t k = 0; k < n; ++k) x[k] = std::exp(x[k]);
}

}  // namespace heed::kernels
