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

/// How many edges ahead the kernels prefetch a neighbour's rows: random
/// gathers defeat the hardware prefetcher, and the out-of-order window covers
/// only two or three edges.
inline constexpr std::int64_t kPrefetchDistance = 12;

/// Prefetches `bytes` from p on, one cache line at a time.
inline void prefetch_bytes(const void* p, std::size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (std::size_t k = 0; k < bytes; k += 64) __builtin_prefetch(c + k);
}

/// Calls body.template operator()<kN>() with the head width as a
/// compile-time constant for the common widths, 0 (run time) otherwise.
template <class Body>
void dispatch_width(int n, Body&& body) {
  switch (n) {
    case 4: body.template operator()<4>(); break;
    case 8: body.template operator()<8>(); break;
    case 16: body.template operator()<16>(); break;
    case 32: body.template operator()<32>(); break;
    case 64: body.template operator()<64>(); break;
    default: body.template operator()<0>(); break;
  }
}

}  // namespace heed::kernels
