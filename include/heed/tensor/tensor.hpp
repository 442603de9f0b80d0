#pragma once
// Dense row-major matrices, 64-byte aligned so inner loops and BLAS see
// cache-line aligned rows at offset 0. Everything in heed is a matrix: a vector
// is 1 x n, a scalar 1 x 1.
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>

namespace heed {

// Large buffers may come from, and go back to, a cache (buffer_cache.hpp).
class BufferCache;

template <class T>
class Tensor {
 public:
  static constexpr std::size_t kAlignment = 64;

  Tensor() = default;
  /// A rows x cols matrix of zeros.
  Tensor(std::size_t rows, std::size_t cols);
  /// A rows x cols matrix from row-major values (must hold rows * cols of them).
  Tensor(std::size_t rows, std::size_t cols, std::initializer_list<T> values);
  /// A rows x cols matrix of zeros whose buffer, if large, comes from and
  /// returns to `cache` (may be null).
  static Tensor zeros(std::size_t rows, std::size_t cols,
                      const std::shared_ptr<BufferCache>& cache);
  /// A rows x cols matrix whose values are undefined, for outputs that are
  /// written in full: a reused buffer is not zeroed first.
  static Tensor uninitialized(std::size_t rows, std::size_t cols,
                              const std::shared_ptr<BufferCache>& cache = nullptr);

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  // A moved-from tensor is empty (0 x 0), not a shape without data.
  Tensor(Tensor&& other) noexcept
      : data_(std::move(other.data_)),
        rows_(std::exchange(other.rows_, 0)),
        cols_(std::exchange(other.cols_, 0)) {}
  Tensor& operator=(Tensor&& other) noexcept {
    data_ = std::move(other.data_);
    rows_ = std::exchange(other.rows_, 0);
    cols_ = std::exchange(other.cols_, 0);
    return *this;
  }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t size() const { return rows_ * cols_; }
  bool empty() const { return size() == 0; }
  bool same_shape(const Tensor& other) const {
    return rows_ == other.rows_ && cols_ == other.cols_;
  }
  std::string shape_string() const;

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::span<T> values() { return {data_.get(), size()}; }
  std::span<const T> values() const { return {data_.get(), size()}; }
  std::span<T> row(std::size_t r) { return {data_.get() + r * cols_, cols_}; }
  std::span<const T> row(std::size_t r) const { return {data_.get() + r * cols_, cols_}; }

  T& operator()(std::size_t r, std::size_t c) { return data_[r * cols_ + c]; }
  const T& operator()(std::size_t r, std::size_t c) const { return data_[r * cols_ + c]; }

  void fill(T value) { std::fill_n(data_.get(), size(), value); }

 private:
  // Releases either kind of buffer allocate() makes: large ones are mapped
  // pages (mapped_bytes > 0), given back to their cache if they came from
  // one; small ones come from the heap.
  struct Free {
    std::size_t mapped_bytes = 0;
    std::shared_ptr<BufferCache> cache;
    void operator()(T* p) const;
  };
  // `zeroed` says whether the buffer arrived zeroed (fresh mapped pages do).
  static std::unique_ptr<T[], Free> allocate(std::size_t count, bool* zeroed = nullptr,
                                             const std::shared_ptr<BufferCache>& cache = nullptr);
  // Zeroes a buffer that did not arrive zeroed, in parallel when large.
  void zero_unless(bool zeroed);

  std::unique_ptr<T[], Free> data_;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
};

extern template class Tensor<float>;
extern template class Tensor<double>;

/// Converts between scalar types (float <-> double), element by element.
template <class To, class From>
Tensor<To> tensor_cast(const Tensor<From>& from) {
  Tensor<To> to(from.rows(), from.cols());
  std::copy(from.values().begin(), from.values().end(), to.values().begin());
  return to;
}

}  // namespace heed
