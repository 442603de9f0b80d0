// TensorPool: buffers come back for reuse, are never handed out twice at
// once, and outliving the pool is safe.
#include "heed/tensor/tensor_pool.hpp"

#include <gtest/gtest.h>

namespace heed {
namespace {

TEST(TensorPool, ReturnedBufferIsReusedForTheSameShape) {
  auto pool = std::make_shared<TensorPool<float>>();
  const float* first = nullptr;
  {
    auto a = pool->acquire(1000, 8);
    ASSERT_EQ(a->rows(), 1000u);
    ASSERT_EQ(a->cols(), 8u);
    first = a->data();
    EXPECT_EQ(pool->free_buffers(), 0u);
  }
  EXPECT_EQ(pool->free_buffers(), 1u);
  auto b = pool->acquire(1000, 8);
  EXPECT_EQ(b->data(), first);    // the same memory again
  auto c = pool->acquire(10, 8);  // another shape: a new buffer
  EXPECT_NE(c->data(), first);
}

TEST(TensorPool, BuffersInUseAreNotShared) {
  auto pool = std::make_shared<TensorPool<double>>(1);
  auto a = pool->acquire(64, 4);
  auto b = pool->acquire(64, 4);
  EXPECT_NE(a->data(), b->data());
  a.reset();
  b.reset();
  EXPECT_EQ(pool->free_buffers(), 1u);  // keeps at most one
}

TEST(TensorPool, LeaseMayOutliveThePool) {
  auto pool = std::make_shared<TensorPool<float>>();
  auto a = pool->acquire(16, 16);
  pool.reset();
  a->fill(1.0f);  // still valid memory
  a.reset();      // and freed without the pool
  SUCCEED();
}

TEST(Tensor, MovedFromIsEmpty) {
  Tensor<float> a(3, 4);
  Tensor<float> b = std::move(a);
  EXPECT_EQ(b.rows(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the state is specified
  EXPECT_EQ(a.rows(), 0u);
  Tensor<float> c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.size(), 12u);
}

}  // namespace
}  // namespace heed
