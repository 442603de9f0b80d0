#pragma once
// A model's input features, prepared once for many forward passes: the dense
// matrix, and, when at most ops::kSparseDensity of it is nonzero (bag-of-words
// features), its nonzeros by row and by column, so that every epoch's input
// product touches only those.
#include <memory>

#include "heed/autograd/ops.hpp"
#include "heed/kernels/spmm.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::nn {

template <class T>
class NodeFeatures {
 public:
  /// Implicit, so a Tensor can be passed where features are expected (the
  /// sparse form is then rebuilt on each call). `x` must outlive this object
  /// and every tape it is used on.
  NodeFeatures(const Tensor<T>& x)  // NOLINT(google-explicit-constructor)
      : dense_(&x) {
    if (ops::mostly_zero(x)) {
      sparse_ = std::make_shared<const kernels::SparseMatrix<T>>(kernels::sparse_matrix(x));
    }
  }

  const Tensor<T>& dense() const { return *dense_; }
  /// The nonzeros, or null if x is not mostly zero.
  const std::shared_ptr<const kernels::SparseMatrix<T>>& sparse() const { return sparse_; }
  /// The features on a tape: read in place, products through the nonzeros.
  Var<T> on(Tape<T>& tape) const { return tape.features(*dense_, sparse_); }
  std::size_t rows() const { return dense_->rows(); }
  std::size_t cols() const { return dense_->cols(); }

 private:
  const Tensor<T>* dense_;
  std::shared_ptr<const kernels::SparseMatrix<T>> sparse_;
};

}  // namespace heed::nn
