#pragma once
// Randomness in heed is keyed, never hidden in global state.
//  * Rng: a seeded stream for parameter initialisation and for drawing keys.
//  * counter_bits(key, i): stateless, counter-based random bits, so a
//    dropout mask element depends only on (key, index). Forward and backward
//    recompute the same mask without storing it, and the thread count cannot
//    change which elements are dropped.
#include <cmath>
#include <cstdint>
#include <random>

namespace heed {

/// SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A key for sub-stream `stream` of `key`, so that each random op of a step
/// draws from its own stream.
constexpr std::uint64_t derive_key(std::uint64_t key, std::uint64_t stream) {
  return mix64(key ^ (stream * 0xd1b54a32d192ed03ULL));
}

/// 64 random bits from (key, counter): element `counter` of the SplitMix64
/// stream seeded with `key`, so one multiply-add and one mix per draw.
constexpr std::uint64_t counter_bits(std::uint64_t key, std::uint64_t counter) {
  return mix64(key + counter * 0x9e3779b97f4a7c15ULL);
}

/// Inverted dropout with a keyed mask: keep with probability 1 - p, scale kept
/// elements by 1 / (1 - p).
template <class T>
struct KeyedDropout {
  T p = 0;
  std::uint64_t key = 0;

  bool active() const { return p > 0; }
  /// The factor element `i` is multiplied by: 0 or 1 / (1 - p).
  T scale(std::uint64_t i) const {
    if (!active()) return T(1);
    // Dropped iff a 53-bit uniform integer falls below p * 2^53.
    const auto threshold = static_cast<std::uint64_t>(static_cast<double>(p) * 0x1.0p53);
    return (counter_bits(key, i) >> 11) < threshold ? T(0) : T(1) / (T(1) - p);
  }
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(mix64(seed)) {}
  std::uint64_t next_key() { return engine_(); }
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(engine_);
  }
  double normal(double mean, double stddev) {
    return std::normal_distribution<double>(mean, stddev)(engine_);
  }
  std::uint64_t below(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(engine_);
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace heed
