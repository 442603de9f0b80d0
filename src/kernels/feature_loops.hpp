#pragma once
// The loops over one head's features that every sparse kernel runs per edge.
// They work in chunks of 8 lanes written with GCC's vector extensions, so
// that whole vector instructions come out whatever the auto-vectoriser
// decides (it gave up on these loops once they were inlined into the edge
// loops). kN > 0 makes the length a compile-time constant (kernels dispatch
// the common head widths); kN = 0 takes it at run time. Sums run in the same
// order on every thread count.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "heed/kernels/exp.hpp"

namespace heed::kernels {

// One vector register of floats where AVX is enabled (HEED_NATIVE on an
// AVX machine), else an SSE register: wider generic vectors than the
// hardware has are split into slow scalar code.
#ifdef __AVX__
inline constexpr int kLanes = 8;
#else
inline constexpr int kLanes = 4;
#endif

// 8 lanes of T. Values of this type stay inside these inline functions:
// passed by value they would change the ABI between instruction sets.
template <class T>
using Lanes [[gnu::vector_size(kLanes * sizeof(T))]] = T;

/// y[0:n] += w * x[0:n]
template <int kN, class T>
inline void axpy(T w, const T* x, T* y, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> vx, vy;
    std::memcpy(&vx, x + f, sizeof vx);
    std::memcpy(&vy, y + f, sizeof vy);
    vy += w * vx;
    std::memcpy(y + f, &vy, sizeof vy);
  }
  for (; f < n; ++f) y[f] += w * x[f];
}

/// y[0:n] *= w
template <int kN, class T>
inline void scale(T w, T* y, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> vy;
    std::memcpy(&vy, y + f, sizeof vy);
    vy *= w;
    std::memcpy(y + f, &vy, sizeof vy);
  }
  for (; f < n; ++f) y[f] *= w;
}

/// sum_f a[f] * b[f]: kLanes partial sums, added in lane order at the end.
template <int kN, class T>
inline T dot(const T* a, const T* b, int runtime_n) {
  const int n = kN > 0 ? kN : runtime_n;
  Lanes<T> lane = {};
  int f = 0;
  for (; f + kLanes <= n; f += kLanes) {
    Lanes<T> va, vb;
    std::memcpy(&va, a + f, sizeof va);
    std::memcpy(&vb, b + f, sizeof vb);
    lane += va * vb;
  }
  T total = 0;
  for (int c = 0; c < kLanes; ++c) total += lane[c];
  for (; f < n; ++f) total += a[f] * b[f];
  return total;
}

// A two-vector lane shuffle with constant indices: GCC and clang spell it
// differently.
#if defined(__clang__)
#define HEED_SHUFFLE(mask_type, x, y, ...) __builtin_shufflevector(x, y, __VA_ARGS__)
#else
#define HEED_SHUFFLE(mask_type, x, y, ...) __builtin_shuffle(x, y, mask_type{__VA_ARGS__})
#endif

/// sums[h] = the sum of the 8 lanes of v[h], for h < 8, as one vector: a
/// transpose-and-add tree of shuffles rather than eight horizontal sums
/// (which cost more than the products feeding them). Each sum adds
/// ((v0+v1)+(v2+v3))+((v4+v5)+(v6+v7)). Needs kLanes == 8; v is overwritten.
template <class T>
[[gnu::always_inline]] inline void lane_sums_8x8(Lanes<T> (&v)[8], T* sums_out) {
  using V = Lanes<T>;
  if constexpr (kLanes == 8) {
    using Index = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
    using M [[gnu::vector_size(kLanes * sizeof(Index)), maybe_unused]] = Index;
    auto level1 = [](V x, V y) {
      return HEED_SHUFFLE(M, x, y, 0, 8, 2, 10, 4, 12, 6, 14) +
             HEED_SHUFFLE(M, x, y, 1, 9, 3, 11, 5, 13, 7, 15);
    };
    auto level2 = [](V x, V y) {
      return HEED_SHUFFLE(M, x, y, 0, 1, 8, 9, 4, 5, 12, 13) +
             HEED_SHUFFLE(M, x, y, 2, 3, 10, 11, 6, 7, 14, 15);
    };
    const V low = level2(level1(v[0], v[1]), level1(v[2], v[3]));
    const V high = level2(level1(v[4], v[5]), level1(v[6], v[7]));
    const V sums = HEED_SHUFFLE(M, low, high, 0, 1, 2, 3, 8, 9, 10, 11) +
                   HEED_SHUFFLE(M, low, high, 4, 5, 6, 7, 12, 13, 14, 15);
    std::memcpy(sums_out, &sums, sizeof sums);
  } else {
    for (int h = 0; h < 8; ++h) {
      T total = 0;
      for (int c = 0; c < kLanes; ++c) total += v[h][c];
      sums_out[h] = total;
    }
  }
}

/// How many edges ahead the kernels prefetch a neighbour's rows: random
/// gathers defeat the hardware prefetcher, and the out-of-order window covers
/// only two or three edges.
inline constexpr std::int64_t kPrefetchDistance = 12;

/// Prefetches `bytes` from p on, one cache line at a time. Always inlined,
/// and so must be any function or lambda whose only effect is to call it:
/// GCC finds such a function free of side effects and drops its calls.
[[gnu::always_inline]] inline void prefetch_bytes(const void* p, std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (std::size_t k = 0; k < bytes; k += 64) __builtin_prefetch(c + k);
}

/// Calls body.template operator()<kN>() with the head width as a
/// compile-time constant for the common widths, 0 (run time) otherwise.
template <class Body>
void dispatch_width(int n, Body&& body) {
  switch (n) {
    case 4:
      body.template operator()<4>();
      break;
    case 8:
      body.template operator()<8>();
      break;
    case 16:
      body.template operator()<16>();
      break;
    case 32:
      body.template operator()<32>();
      break;
    case 64:
      body.template operator()<64>();
      break;
    default:
      body.template operator()<0>();
      break;
  }
}

}  // namespace heed::kernels
