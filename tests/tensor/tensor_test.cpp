#include "heed/tensor/tensor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "heed/tensor/blas.hpp"
#include "heed/tensor/random.hpp"

namespace heed {
namespace {

TEST(Tensor, ZeroInitialisedAndAligned) {
  Tensor<float> t(3, 5);
  EXPECT_EQ(t.size(), 15u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % 64, 0u);
  for (float v : t.values()) EXPECT_EQ(v, 0.0f);
  Tensor<double> d(7, 3);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d.data()) % 64, 0u);
}

TEST(Tensor, RowMajorAccessAndDeepCopy) {
  Tensor<double> a(2, 3, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(a(1, 0), 4);
  EXPECT_EQ(a.row(1)[2], 6);
  Tensor<double> b = a;
  b(0, 0) = 9;
  EXPECT_EQ(a(0, 0), 1);
  EXPECT_EQ(a.shape_string(), "[2 x 3]");
  const Tensor<float> f = tensor_cast<float>(a);
  EXPECT_EQ(f(1, 2), 6.0f);
}

template <class T>
void check_gemm(Transpose ta, Transpose tb) {
  std::mt19937 engine(4);
  std::uniform_real_distribution<double> u(-1, 1);
  const std::size_t m = 5, k = 7, n = 3;
  Tensor<T> a(ta == Transpose::kNo ? m : k, ta == Transpose::kNo ? k : m);
  Tensor<T> b(tb == Transpose::kNo ? k : n, tb == Transpose::kNo ? n : k);
  Tensor<T> c(m, n);
  for (T& v : a.values()) v = T(u(engine));
  for (T& v : b.values()) v = T(u(engine));
  for (T& v : c.values()) v = T(u(engine));
  const Tensor<T> c0 = c;
  gemm(ta, tb, T(2), a, b, T(0.5), c);
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::size_t p = 0; p < k; ++p) {
        const double x = ta == Transpose::kNo ? a(i, p) : a(p, i);
        const double y = tb == Transpose::kNo ? b(p, j) : b(j, p);
        s += x * y;
      }
      EXPECT_NEAR(c(i, j), 2 * s + 0.5 * c0(i, j), sizeof(T) == 4 ? 1e-5 : 1e-12);
    }
  }
}

TEST(Gemm, MatchesNaiveProductForEveryTransposition) {
  for (Transpose ta : {Transpose::kNo, Transpose::kYes}) {
    for (Transpose tb : {Transpose::kNo, Transpose::kYes}) {
      check_gemm<float>(ta, tb);
      check_gemm<double>(ta, tb);
    }
  }
}

TEST(Random, KeyedDropoutIsReproducibleAndHasTheRightRate) {
  KeyedDropout<double> d{0.3, 42};
  int dropped = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double s = d.scale(std::uint64_t(i));
    EXPECT_EQ(s, d.scale(std::uint64_t(i)));
    ASSERT_TRUE(s == 0.0 || s == d.kept_scale());
    dropped += s == 0.0;
  }
  EXPECT_NEAR(double(dropped) / n, 0.3, 0.005);
  // p is rounded to 16 bits; the kept scale is exact for the rounded p.
  EXPECT_NEAR(d.kept_scale(), 1 / 0.7, 1e-4);
  EXPECT_DOUBLE_EQ(d.kept_scale(), 65536.0 / (65536.0 - d.threshold()));
  // A different key gives a different mask.
  KeyedDropout<double> other{0.3, 43};
  int differ = 0;
  for (int i = 0; i < 1000; ++i)
    differ += (d.scale(std::uint64_t(i)) != other.scale(std::uint64_t(i)));
  EXPECT_GT(differ, 300);
  EXPECT_EQ(KeyedDropout<double>{}.scale(5), 1.0);
}

TEST(Random, BatchedScalesEqualSingleScales) {
  const KeyedDropout<float> d{0.6f, 7};
  for (std::uint64_t first : {0u, 1u, 3u, 4u, 13u}) {
    for (int count : {0, 1, 3, 4, 5, 8, 17, 300, 1001}) {
      std::vector<float> batch(std::size_t(count) + 1, -1.0f);
      d.scales(first, count, batch.data());
      for (int k = 0; k < count; ++k) {
        EXPECT_EQ(batch[std::size_t(k)], d.scale(first + std::uint64_t(k))) << first << " + " << k;
      }
      EXPECT_EQ(batch[std::size_t(count)], -1.0f) << "wrote past count";
    }
  }
  // Non-contiguous runs: aligned ones take the vectorised path, others not.
  const std::vector<std::uint64_t> firsts{0, 4000, 12, 7, 800, 16};
  for (int count : {3, 8, 12}) {
    std::vector<float> at(firsts.size() * std::size_t(count));
    d.scales_at(firsts.data(), int(firsts.size()), count, at.data());
    for (std::size_t b = 0; b < firsts.size(); ++b) {
      for (int k = 0; k < count; ++k) {
        EXPECT_EQ(at[b * std::size_t(count) + std::size_t(k)],
                  d.scale(firsts[b] + std::uint64_t(k)))
            << "block " << b << " element " << k;
      }
    }
  }
  // Almost certain dropout still keeps a finite scale.
  const KeyedDropout<double> high{0.999999, 1};
  EXPECT_TRUE(std::isfinite(high.kept_scale()));
}

TEST(Random, RngIsSeeded) {
  Rng a(7), b(7), c(8);
  const auto x = a.next_key();
  EXPECT_EQ(x, b.next_key());
  EXPECT_NE(x, c.next_key());
}

}  // namespace
}  // namespace heed
