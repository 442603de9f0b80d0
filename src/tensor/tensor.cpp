#include "heed/tensor/tensor.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <new>

#include "heed/error.hpp"
#include "heed/tensor/buffer_cache.hpp"

namespace heed {
namespace {

// Buffers from this size on are mapped directly, in transparent huge pages:
// every training step of a big graph allocates fresh per-edge and per-node
// buffers, and faulting them in 4 KiB at a time, then zeroing them again,
// cost more than the kernels that fill them (measured: 15 ms for 25 MiB on
// a VM). Mapped pages arrive zeroed, so the memset is skipped.
constexpr std::size_t kMapThreshold = std::size_t(4) << 20;
// With a cache, buffers from this size on are mapped too, so that the cache
// keeps them between steps: from malloc, glibc handed buffers of a few MiB
// back to the system and faulted them in afresh at the next step (GAT's node
// scores at N = 100k, 3 MiB each), and a small graph's every buffer is below
// the threshold above.
constexpr std::size_t kCachedMapThreshold = std::size_t(64) << 10;
constexpr std::size_t kPageBytes = std::size_t(4) << 10;

// The size a cached buffer of `wanted` bytes is mapped at: whole pages (huge
// pages from 2 MiB), rounded up to one of eight classes per doubling, so at
// most 1/8 more. Batches of whole graphs differ in size from step to step;
// mapped at their exact page counts, hardly a buffer matched one the cache
// held, and a MUTAG epoch spent most of its time faulting in fresh pages.
std::size_t size_class(std::size_t wanted) {
  const std::size_t unit = wanted >= kHugePageBytes ? kHugePageBytes : kPageBytes;
  std::size_t units = (wanted + unit - 1) / unit;
  if (units > 8) {
    // The top four bits of the count, the rest rounded up.
    const int shift = std::bit_width(units) - 4;
    units = ((units + (std::size_t(1) << shift) - 1) >> shift) << shift;
  }
  return units * unit;
}

}  // namespace

template <class T>
void Tensor<T>::Free::operator()(T* p) const {
  if (mapped_bytes > 0 && cache) {
    cache->give_back(p, mapped_bytes);
  } else if (mapped_bytes > 0) {
    unmap_pages(p, mapped_bytes);
  } else {
    std::free(p);
  }
}

template <class T>
std::unique_ptr<T[], typename Tensor<T>::Free> Tensor<T>::allocate(
    std::size_t count, bool* zeroed, const std::shared_ptr<BufferCache>& cache) {
  if (zeroed) *zeroed = false;
  if (count == 0) return nullptr;
  const std::size_t wanted = count * sizeof(T);
  if (wanted >= kMapThreshold || (cache && wanted >= kCachedMapThreshold)) {
    // Without a cache, whole huge pages from 2 MiB on and whole pages below.
    const std::size_t unit = wanted >= kHugePageBytes ? kHugePageBytes : kPageBytes;
    const std::size_t bytes = cache ? size_class(wanted) : (wanted + unit - 1) / unit * unit;
    bool reused = false;
    const BufferCache::Mapping m =
        cache ? cache->take(bytes, &reused) : BufferCache::Mapping{map_huge_pages(bytes), bytes};
    if (zeroed) *zeroed = !reused;
    return std::unique_ptr<T[], Free>(static_cast<T*>(m.p), Free{m.bytes, cache});
  }
  // aligned_alloc needs a size that is a multiple of the alignment.
  const std::size_t bytes = (wanted + kAlignment - 1) / kAlignment * kAlignment;
  auto* p = static_cast<T*>(std::aligned_alloc(kAlignment, bytes));
  if (p == nullptr) throw std::bad_alloc();
  return std::unique_ptr<T[], Free>(p);
}

template <class T>
void Tensor<T>::zero_unless(bool zeroed) {
  if (!data_ || zeroed) return;
  const std::size_t bytes = size() * sizeof(T);
  if (bytes < kMapThreshold) {
    std::memset(data_.get(), 0, bytes);
    return;
  }
  // One thread's memset of a reused buffer took longer than the kernel
  // that had faulted it in on every core; chunks of whole pages are split
  // between threads, each zeroing its own.
  char* base = reinterpret_cast<char*>(data_.get());
  const std::int64_t chunks = std::int64_t((bytes + kHugePageBytes - 1) / kHugePageBytes);
#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < chunks; ++k) {
    const std::size_t begin = std::size_t(k) * kHugePageBytes;
    std::memset(base + begin, 0, std::min(kHugePageBytes, bytes - begin));
  }
}

template <class T>
Tensor<T>::Tensor(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols) {
  bool zeroed = false;
  data_ = allocate(rows * cols, &zeroed);
  zero_unless(zeroed);
}

template <class T>
Tensor<T> Tensor<T>::zeros(std::size_t rows, std::size_t cols,
                           const std::shared_ptr<BufferCache>& cache) {
  Tensor t;
  bool zeroed = false;
  t.data_ = allocate(rows * cols, &zeroed, cache);
  t.rows_ = rows;
  t.cols_ = cols;
  t.zero_unless(zeroed);
  return t;
}

template <class T>
Tensor<T> Tensor<T>::uninitialized(std::size_t rows, std::size_t cols,
                                   const std::shared_ptr<BufferCache>& cache) {
  Tensor t;
  t.data_ = allocate(rows * cols, nullptr, cache);
  t.rows_ = rows;
  t.cols_ = cols;
  return t;
}

template <class T>
Tensor<T>::Tensor(std::size_t rows, std::size_t cols, std::initializer_list<T> values)
    : Tensor(rows, cols) {
  if (values.size() != rows * cols) {
    throw Error("Tensor: " + std::to_string(values.size()) + " values given for a " +
                std::to_string(rows) + " x " + std::to_string(cols) + " matrix");
  }
  std::copy(values.begin(), values.end(), data_.get());
}

template <class T>
Tensor<T>::Tensor(const Tensor& other)
    : data_(allocate(other.size())), rows_(other.rows_), cols_(other.cols_) {
  if (data_) std::memcpy(data_.get(), other.data_.get(), size() * sizeof(T));
}

template <class T>
Tensor<T>& Tensor<T>::operator=(const Tensor& other) {
  if (this != &other) *this = Tensor(other);
  return *this;
}

template <class T>
std::string Tensor<T>::shape_string() const {
  // Appending, not "[" + ..., sidesteps a false -Wrestrict in GCC 12's string operator+.
  std::string s("[");
  s += std::to_string(rows_);
  s += " x ";
  s += std::to_string(cols_);
  s += ']';
  return s;
}

template class Tensor<float>;
template class Tensor<double>;

}  // namespace heed
