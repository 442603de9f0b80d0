#include "heed/kernels/row_softmax.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "heed/error.hpp"

namespace heed::kernels {
namespace {

TEST(RowSoftmax, MaskedRowsByHand) {
  // Row 0: all allowed; row 1: the middle entry hidden; row 2: nothing allowed.
  std::vector<double> s{1.0, 2.0, 3.0, 0.5, 100.0, -0.5, 4.0, 5.0, 6.0};
  const std::vector<std::uint8_t> mask{1, 1, 1, 1, 0, 1, 0, 0, 0};
  masked_row_softmax<double>(s, 3, 3, mask);
  const double z0 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(s[0], std::exp(1.0) / z0, 1e-15);
  EXPECT_NEAR(s[2], std::exp(3.0) / z0, 1e-15);
  const double z1 = std::exp(0.5) + std::exp(-0.5);
  EXPECT_NEAR(s[3], std::exp(0.5) / z1, 1e-15);
  EXPECT_EQ(s[4], 0.0);
  EXPECT_NEAR(s[5], std::exp(-0.5) / z1, 1e-15);
  for (int j = 6; j < 9; ++j) EXPECT_EQ(s[std::size_t(j)], 0.0);
}

TEST(RowSoftmax, LongRowsPastTheVectorLanesAndBackward) {
  const int n = 37;  // past the 16 running maxima of the forward loop
  std::vector<double> s(n), a(n);
  for (int j = 0; j < n; ++j) s[std::size_t(j)] = std::sin(0.7 * j) * 3;
  a = s;
  masked_row_softmax<double>(a, 1, n);
  double m = -1e300, z = 0;
  for (double v : s) m = std::max(m, v);
  for (double v : s) z += std::exp(v - m);
  for (int j = 0; j < n; ++j)
    EXPECT_NEAR(a[std::size_t(j)], std::exp(s[std::size_t(j)] - m) / z, 1e-14);
  // dL/ds_j = scale * a_j (g_j - sum_k a_k g_k), against the formula by hand.
  std::vector<double> g(n);
  for (int j = 0; j < n; ++j) g[std::size_t(j)] = std::cos(1.3 * j);
  double c = 0;
  for (int j = 0; j < n; ++j) c += a[std::size_t(j)] * g[std::size_t(j)];
  std::vector<double> got = g;
  row_softmax_backward<double>(a, got, 1, n, 0.5);
  for (int j = 0; j < n; ++j) {
    EXPECT_NEAR(got[std::size_t(j)], 0.5 * a[std::size_t(j)] * (g[std::size_t(j)] - c), 1e-15);
  }
  EXPECT_THROW(masked_row_softmax<double>(a, 2, n), Error);
}

}  // namespace
}  // namespace heed::kernels
