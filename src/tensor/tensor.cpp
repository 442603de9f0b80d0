#include "heed/tensor/tensor.hpp"

#include <sys/mman.h>

#include <cstring>
#include <new>

#include "heed/error.hpp"

namespace heed {

template <class T>
std::unique_ptr<T[], typename Tensor<T>::Free> Tensor<T>::allocate(std::size_t count) {
  if (count == 0) return nullptr;
  // Large buffers come on 2 MiB boundaries and ask for transparent huge
  // pages: every step of a big graph allocates fresh per-edge and per-node
  // buffers, and faulting them in 4 KiB at a time costs more than the
  // kernels that fill them (measured: 15 ms for 25 MiB on a VM).
  constexpr std::size_t kHugePage = std::size_t(2) << 20;
  const std::size_t alignment = count * sizeof(T) >= 2 * kHugePage ? kHugePage : kAlignment;
  // aligned_alloc needs a size that is a multiple of the alignment.
  const std::size_t bytes = (count * sizeof(T) + alignment - 1) / alignment * alignment;
  auto* p = static_cast<T*>(std::aligned_alloc(alignment, bytes));
  if (p == nullptr) throw std::bad_alloc();
  if (alignment == kHugePage) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
  return std::unique_ptr<T[], Free>(p);
}

template <class T>
Tensor<T>::Tensor(std::size_t rows, std::size_t cols)
    : data_(allocate(rows * cols)), rows_(rows), cols_(cols) {
  if (data_) std::memset(data_.get(), 0, size() * sizeof(T));
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
