#include "heed/tensor/tensor.hpp"

#include <cstring>
#include <new>

#include "heed/error.hpp"

namespace heed {

template <class T>
std::unique_ptr<T[], typename Tensor<T>::Free> Tensor<T>::allocate(std::size_t count) {
  if (count == 0) return nullptr;
  // aligned_alloc needs a size that is a multiple of the alignment.
  std::size_t bytes = (count * sizeof(T) + kAlignment - 1) / kAlignment * kAlignment;
  auto* p = static_cast<T*>(std::aligned_alloc(kAlignment, bytes));
  if (p == nullptr) throw std::bad_alloc();
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
