#include "heed/kernels/spmm.hpp"

#include <gtest/gtest.h>

#include <random>

namespace heed::kernels {
namespace {

Tensor<double> sparse_random(std::size_t rows, std::size_t cols, double density, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> u(0, 1), v(-1, 1);
  Tensor<double> t(rows, cols);
  for (double& x : t.values()) x = u(engine) < density ? v(engine) : 0.0;
  return t;
}

TEST(Spmm, MatchesDenseProductAndAccumulates) {
  const Tensor<double> a = sparse_random(30, 50, 0.1, 1);
  const Tensor<double> b = sparse_random(50, 6, 1.0, 2);
  const SparseRows<double> s = sparse_rows(a);
  EXPECT_EQ(count_nonzeros(a), s.pattern.nnz());
  Tensor<double> out(30, 6);
  out.fill(1.0);
  spmm_accumulate<double>(s, b.values(), 6, out.values());
  for (std::size_t i = 0; i < 30; ++i) {
    for (std::size_t c = 0; c < 6; ++c) {
      double expect = 1.0;
      for (std::size_t k = 0; k < 50; ++k) expect += a(i, k) * b(k, c);
      EXPECT_NEAR(out(i, c), expect, 1e-12);
    }
  }
}

TEST(Spmm, TransposeSwapsRowsAndColumns) {
  const Tensor<double> a = sparse_random(7, 9, 0.3, 3);
  const SparseRows<double> t = transpose(sparse_rows(a));
  ASSERT_EQ(t.pattern.rows(), 9);
  EXPECT_EQ(t.cols, 7);
  Tensor<double> back(9, 7);
  for (std::int64_t r = 0; r < 9; ++r) {
    for (EdgeId k = t.pattern.indptr[std::size_t(r)]; k < t.pattern.indptr[std::size_t(r) + 1];
         ++k) {
      back(std::size_t(r), std::size_t(t.pattern.indices[std::size_t(k)])) =
          t.values[std::size_t(k)];
    }
  }
  for (std::size_t i = 0; i < 7; ++i)
    for (std::size_t j = 0; j < 9; ++j) EXPECT_EQ(back(j, i), a(i, j));
}

TEST(Spmm, RejectsMismatchedShapes) {
  const SparseRows<double> s = sparse_rows(sparse_random(3, 4, 0.5, 4));
  std::vector<double> b(5 * 2), out(3 * 2);
  EXPECT_ANY_THROW(spmm_accumulate<double>(s, b, 2, out));
}

}  // namespace
}  // namespace heed::kernels
