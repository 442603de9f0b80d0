#pragma once
// Products: x W through BLAS, head by head with per-head dropout, and through
// the nonzeros of a mostly-zero constant input.
// Every op here has a finite-difference test in double (tests/autograd).
#include <memory>

#include "heed/autograd/tape.hpp"
#include "heed/kernels/spmm.hpp"
#include "heed/tensor/random.hpp"

namespace heed::ops {

/// a b (BLAS).
template <class T>
Var<T> matmul(Var<T> a, Var<T> b);
/// x W computed head by head, each head with its own dropout mask on x:
/// out[:, h-block] = (mask_h . x) W[:, h-block], for W split into `heads`
/// column blocks. The GAT authors' implementation drops each head's input
/// independently. A mostly-zero constant x goes through its nonzeros only.
template <class T>
Var<T> head_dropout_matmul(Var<T> x, Var<T> w, int heads, const KeyedDropout<T>& dropout);
/// The same for a constant sparse x (no gradient reaches x), which may be
/// built once and shared by many tapes.
template <class T>
Var<T> head_dropout_matmul(std::shared_ptr<const kernels::SparseMatrix<T>> x, Var<T> w, int heads,
                           const KeyedDropout<T>& dropout);
/// True if at most `kSparseDensity` of x is nonzero: then products with a
/// constant x go through its nonzeros only.
template <class T>
bool mostly_zero(const Tensor<T>& x);
inline constexpr double kSparseDensity = 0.1;

}  // namespace heed::ops
