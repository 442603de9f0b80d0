// BufferCache and the tensors drawn from it: large buffers come back for
// reuse (in a buffer up to half as large again), zeros() is zero even on a
// reused buffer, the cache keeps a repeated step's buffers but no more than
// twice its largest use, dropping the oldest, and tensors may outlive it.
#include "heed/tensor/buffer_cache.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "heed/tensor/tensor.hpp"

namespace heed {
namespace {

// 8 MiB of floats: above the size from which buffers are mapped.
constexpr std::size_t kRows = 1024, kCols = 2048;

TEST(BufferCache, ReleasedBufferIsReusedForTheSameSize) {
  auto cache = std::make_shared<BufferCache>();
  const float* first = nullptr;
  {
    Tensor<float> a = Tensor<float>::uninitialized(kRows, kCols, cache);
    first = a.data();
    EXPECT_EQ(cache->bytes_in_use(), kRows * kCols * sizeof(float));
    EXPECT_EQ(cache->cached_bytes(), 0u);
  }
  EXPECT_EQ(cache->bytes_in_use(), 0u);
  EXPECT_EQ(cache->cached_bytes(), kRows * kCols * sizeof(float));
  Tensor<float> b = Tensor<float>::uninitialized(kRows, kCols, cache);
  EXPECT_EQ(b.data(), first);
  Tensor<float> c = Tensor<float>::uninitialized(kRows, kCols, cache);  // b holds it
  EXPECT_NE(c.data(), first);
}

TEST(BufferCache, ZerosAreZeroOnAReusedBuffer) {
  auto cache = std::make_shared<BufferCache>();
  {
    Tensor<float> a = Tensor<float>::uninitialized(kRows, kCols, cache);
    a.fill(7.0f);
  }
  const Tensor<float> z = Tensor<float>::zeros(kRows, kCols, cache);
  EXPECT_EQ(cache->cached_bytes(), 0u);  // it took the buffer that held sevens
  for (float v : z.values()) ASSERT_EQ(v, 0.0f);
  // Small tensors come from the heap, zeroed as well.
  const Tensor<double> small = Tensor<double>::zeros(3, 5, cache);
  for (double v : small.values()) ASSERT_EQ(v, 0.0);
}

TEST(BufferCache, KeepsNoMoreThanTwiceItsLargestUseDroppingTheOldest) {
  auto cache = std::make_shared<BufferCache>();
  const std::size_t one = kRows * kCols * sizeof(float);
  // Steps of growing sizes, one buffer each: none fits in an earlier one,
  // and the cache keeps them all while they fit in twice the largest use.
  for (std::size_t units = 1; units <= 3; ++units) {
    Tensor<float> t = Tensor<float>::uninitialized(units * kRows, kCols, cache);
  }
  EXPECT_EQ(cache->cached_bytes(), 6 * one);  // 1 + 2 + 3 <= 2 x 3
  EXPECT_EQ(cache->mappings_made(), 3u);
  { Tensor<float> t = Tensor<float>::uninitialized(4 * kRows, kCols, cache); }
  // 6 + 4 > 2 x 4: the oldest, 1 and 2, are unmapped.
  EXPECT_EQ(cache->cached_bytes(), 7 * one);
  EXPECT_EQ(cache->bytes_in_use(), 0u);
  {
    Tensor<float> t = Tensor<float>::uninitialized(3 * kRows, kCols, cache);
    EXPECT_EQ(cache->cached_bytes(), 4 * one);  // the 3 came back out
    Tensor<float> u = Tensor<float>::uninitialized(kRows, kCols, cache);
    EXPECT_EQ(cache->cached_bytes(), 4 * one);  // the 1 was gone: mapped anew
  }
  EXPECT_EQ(cache->mappings_made(), 5u);
}

TEST(BufferCache, ABufferFitsInOneUpToHalfAsLargeAgain) {
  auto cache = std::make_shared<BufferCache>();
  const std::size_t one = kRows * kCols * sizeof(float);
  const float* four = nullptr;
  {
    Tensor<float> t = Tensor<float>::uninitialized(4 * kRows, kCols, cache);
    four = t.data();
  }
  {
    Tensor<float> t = Tensor<float>::uninitialized(3 * kRows, kCols, cache);
    EXPECT_EQ(t.data(), four);                  // 4 <= 1.5 x 3
    EXPECT_EQ(cache->bytes_in_use(), 4 * one);  // the whole mapping is out
  }
  EXPECT_EQ(cache->cached_bytes(), 4 * one);  // and comes back whole
  {
    Tensor<float> t = Tensor<float>::uninitialized(2 * kRows, kCols, cache);
    EXPECT_NE(t.data(), four);  // 4 > 1.5 x 2: mapped anew
  }
  EXPECT_EQ(cache->mappings_made(), 2u);
}

TEST(BufferCache, BatchesOfVaryingSizesMapNothingAfterTheFirstFew) {
  auto cache = std::make_shared<BufferCache>();
  // Steps of ten buffers of a batch's size, the batches of three sizes in
  // turn (graphs of a dataset, batched): each step's buffers fit in those
  // of the largest batch, which the cache keeps.
  auto step = [&](std::size_t rows) {
    std::vector<Tensor<float>> held;
    for (int k = 0; k < 10; ++k) held.push_back(Tensor<float>::uninitialized(rows, kCols, cache));
  };
  const std::size_t sizes[3] = {kRows, kRows + kRows / 8, kRows - kRows / 8};
  for (std::size_t rows : sizes) step(rows);
  const std::size_t warm = cache->mappings_made();
  for (int round = 0; round < 5; ++round) {
    for (std::size_t rows : sizes) step(rows);
  }
  EXPECT_EQ(cache->mappings_made(), warm);
}

TEST(BufferCache, KeepsAStepsBuffersWhenItFreesSomeBeforeTakingOthers) {
  auto cache = std::make_shared<BufferCache>();
  const std::size_t one = kRows * kCols * sizeof(float);
  // A step that frees one buffer before it takes one of another size, as an
  // eval pass does: 4 units out at most, 1 + 2 + 3 taken. The next such step
  // finds all three in the cache and maps nothing new.
  auto step = [&] {
    Tensor<float> a = Tensor<float>::uninitialized(kRows, kCols, cache);
    { Tensor<float> b = Tensor<float>::uninitialized(2 * kRows, kCols, cache); }
    Tensor<float> c = Tensor<float>::uninitialized(3 * kRows, kCols, cache);
  };
  step();
  EXPECT_EQ(cache->cached_bytes(), 6 * one);
  step();
  EXPECT_EQ(cache->cached_bytes(), 6 * one);
}

TEST(BufferCache, TensorsMayOutliveTheirCache) {
  Tensor<float> t;
  {
    auto cache = std::make_shared<BufferCache>();
    t = Tensor<float>::zeros(kRows, kCols, cache);
  }
  t(kRows - 1, kCols - 1) = 1.0f;  // the buffer is still this tensor's
  EXPECT_EQ(t(kRows - 1, kCols - 1), 1.0f);
  EXPECT_EQ(t(0, 0), 0.0f);
}

TEST(BufferCache, CopiesDoNotShareTheBuffer) {
  auto cache = std::make_shared<BufferCache>();
  Tensor<float> a = Tensor<float>::zeros(kRows, kCols, cache);
  Tensor<float> b = a;
  b(0, 0) = 3.0f;
  EXPECT_EQ(a(0, 0), 0.0f);
  EXPECT_NE(a.data(), b.data());
}

}  // namespace
}  // namespace heed
