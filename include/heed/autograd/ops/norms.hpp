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

}  // namespace heed::ops
