#pragma once
// Normalisation layers' maths.
// Every op here has a finite-difference test in double (tests/autograd).
#include "heed/autograd/tape.hpp"

namespace heed::ops {

/// Layer normalisation of each row (Ba et al. 2016):
///   y = gamma .* (x - mean(x)) / sqrt(var(x) + eps) + beta,
/// with the biased variance; gamma and beta are 1 x cols.
template <class T>
Var<T> layer_norm(Var<T> x, Var<T> gamma, Var<T> beta, T eps = T(1e-5));

/// The running statistics batch normalisation keeps for evaluation (1 x
/// cols each; PyTorch's buffers, starting at mean 0 and variance 1).
template <class T>
struct BatchStatistics {
  Tensor<T>* mean = nullptr;
  Tensor<T>* variance = nullptr;
};

/// Batch normalisation of each column over the rows (Ioffe and Szegedy
/// 2015; PyTorch's BatchNorm1d):
///   training:   y = gamma .* (x - mean_rows(x)) / sqrt(var_rows(x) + eps) + beta,
///               with the biased variance, and the running statistics moved
///               toward the batch's: r <- (1 - momentum) r + momentum b (the
///               unbiased variance, as PyTorch);
///   evaluation: the same with the running mean and variance, which stay.
/// heed::Error if x has no rows in training.
template <class T>
Var<T> batch_norm(Var<T> x, Var<T> gamma, Var<T> beta, const BatchStatistics<T>& running,
                  bool training, T momentum = T(0.1), T eps = T(1e-5));

}  // namespace heed::ops
