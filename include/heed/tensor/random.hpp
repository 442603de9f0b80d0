#pragma once
// Randomness in heed is keyed, never hidden in global state.
//  * Rng: a seeded stream for parameter initialisation and for drawing keys.
//  * counter_bits(key, i): stateless, counter-based random bits, so a
//    dropout mask element depends only on (key, index). Forward and backward
//    recompute the same mask without storing it, and the thread count cannot
//    change which elements are dropped.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
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
/// elements by 1 / (1 - p). Element i's draw is the 16-bit slice i % 4 of
/// word i / 4 of the key's stream, so one mix serves four elements (callers
/// that need runs of consecutive elements take them four at a time with
/// scales()); p is used rounded to a multiple of 2^-16, and the kept scale is
/// exact for the rounded p, so the mask stays unbiased.
template <class T>
struct KeyedDropout {
  T p = 0;
  std::uint64_t key = 0;

  bool active() const { return p > 0; }
  /// Slices below this are dropped: p * 2^16, rounded, at most 2^16 - 1.
  std::uint32_t threshold() const {
    const double t = static_cast<double>(p) * 65536.0 + 0.5;  // rounds; no libm call in hot loops
    return t < 1.0 ? 0u : t >= 65535.0 ? 65535u : static_cast<std::uint32_t>(t);
  }
  /// The factor kept elements are multiplied by: 1 / (1 - rounded p).
  T kept_scale() const { return T(65536.0 / (65536.0 - threshold())); }

  /// The factor element `i` is multiplied by: 0 or kept_scale().
  T scale(std::uint64_t i) const {
    if (!active()) return T(1);
    const std::uint64_t word = counter_bits(key, i >> 2);
    const std::uint32_t slice = std::uint32_t(word >> (16 * (i & 3))) & 0xFFFFu;
    return slice < threshold() ? T(0) : kept_scale();
  }

  /// out[k] = scale(first + k) for k < count, one mix per four elements.
  void scales(std::uint64_t first, int count, T* out) const {
    if (!active()) {
      for (int k = 0; k < count; ++k) out[k] = T(1);
      return;
    }
    const std::uint32_t t = threshold();
    const T kept = kept_scale();
    auto slice_scale = [t, kept](std::uint64_t word, unsigned slot) {
      return (std::uint32_t(word >> (16 * slot)) & 0xFFFFu) < t ? T(0) : kept;
    };
    std::uint64_t i = first;
    const std::uint64_t end = first + std::uint64_t(count);
    // Head: up to the next multiple of four.
    if (i & 3) {
      const std::uint64_t word = counter_bits(key, i >> 2);
      for (; i < end && (i & 3); ++i) out[i - first] = slice_scale(word, unsigned(i & 3));
    }
    // Body: whole words, in chunks the compiler vectorises.
    while (i + 4 <= end) {
      const int words = int(std::min<std::uint64_t>((end - i) / 4, kChunkWords));
      std::uint64_t counters[kChunkWords];
      for (int k = 0; k < words; ++k) counters[k] = (i >> 2) + std::uint64_t(k);
      words_to_scales(counters, words, t, kept, out + (i - first));
      i += 4 * std::uint64_t(words);
    }
    // Tail.
    if (i < end) {
      const std::uint64_t word = counter_bits(key, i >> 2);
      for (; i < end; ++i) out[i - first] = slice_scale(word, unsigned(i & 3));
    }
  }

  /// out[b * count + k] = scale(firsts[b] + k) for b < blocks and k < count:
  /// the same draws as scales(), for runs that are not contiguous (one run
  /// per nonzero of a sparse matrix, say). Runs of whole words share their
  /// mixes; others (one head per edge, say) take one mix per element.
  void scales_at(const std::uint64_t* firsts, int blocks, int count, T* out) const {
    if (!active()) {
      std::fill(out, out + std::size_t(blocks) * std::size_t(count), T(1));
      return;
    }
    const std::uint32_t t = threshold();
    const T kept = kept_scale();
    if (count % 4 != 0) {
      std::uint64_t index[kChunkWords];
      int n = 0;
      T* o = out;
      for (int b = 0; b < blocks; ++b) {
        for (int k = 0; k < count; ++k) {
          index[n++] = firsts[b] + std::uint64_t(k);
          if (n == kChunkWords) element_scales(index, n, t, kept, o), o += n, n = 0;
        }
      }
      if (n > 0) element_scales(index, n, t, kept, o);
      return;
    }
    const int per_block = count / 4;
    std::uint64_t counters[kChunkWords];
    int words = 0;
    T* o = out;
    for (int b = 0; b < blocks; ++b) {
      if (firsts[b] % 4 != 0) {
        if (words > 0) words_to_scales(counters, words, t, kept, o), o += 4 * words, words = 0;
        scales(firsts[b], count, o);
        o += count;
        continue;
      }
      for (int w = 0; w < per_block; ++w) {
        counters[words++] = firsts[b] / 4 + std::uint64_t(w);
        if (words == kChunkWords) {
          words_to_scales(counters, words, t, kept, o);
          o += 4 * words;
          words = 0;
        }
      }
    }
    if (words > 0) words_to_scales(counters, words, t, kept, o);
  }

 private:
  static constexpr int kChunkWords = 64;

  // Four scales per word counter: mix each counter (a loop of 64-bit
  // multiplies and shifts that vectorises), then read the words as 16-bit
  // slices, slice s of word k at index 4k + s as on a little-endian machine,
  // which is what scale() computes with shifts.
  // out[j] = scale(index[j]), a mix each (the 64-bit multiplies and the
  // per-lane shifts vectorise).
  void element_scales(const std::uint64_t* index, int n, std::uint32_t t, T kept, T* out) const {
    for (int j = 0; j < n; ++j) {
      const std::uint64_t word = counter_bits(key, index[j] >> 2);
      const std::uint32_t slice = std::uint32_t(word >> (16 * (index[j] & 3))) & 0xFFFFu;
      out[j] = slice < t ? T(0) : kept;
    }
  }

  void words_to_scales(const std::uint64_t* counters, int words, std::uint32_t t, T kept,
                       T* out) const {
    static_assert(std::endian::native == std::endian::little,
                  "16-bit slices are read in little-endian order");
    std::uint64_t mixed[kChunkWords];
    for (int k = 0; k < words; ++k) mixed[k] = counter_bits(key, counters[k]);
    std::uint16_t slices[4 * kChunkWords];
    std::memcpy(slices, mixed, sizeof(std::uint64_t) * std::size_t(words));
    for (int j = 0; j < 4 * words; ++j) out[j] = slices[j] < t ? T(0) : kept;
  }
};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : seed_(seed), engine_(mix64(seed)) {}
  /// The seed it was made from (what keys a run's batch order, say).
  std::uint64_t seed() const { return seed_; }
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
  std::uint64_t seed_;
  std::mt19937_64 engine_;
};

}  // namespace heed
