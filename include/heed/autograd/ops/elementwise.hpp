#pragma once
// Element-wise ops: sums, activations and dropout.
// Every op here has a finite-difference test in double (tests/autograd).
#include "heed/autograd/tape.hpp"
#include "heed/tensor/random.hpp"

namespace heed::ops {

/// x + bias, bias a 1 x cols row added to every row.
template <class T>
Var<T> add_bias(Var<T> x, Var<T> bias);
/// a + b, same shapes.
template <class T>
Var<T> add(Var<T> a, Var<T> b);
/// s x, for s a 1 x 1 value (a learned scalar: GIN's eps).
template <class T>
Var<T> scale(Var<T> x, Var<T> s);
/// w_i x_i: each row of x (N x cols) times its own weight (w is N x 1), as
/// attention pooling weights its nodes.
template <class T>
Var<T> scale_rows(Var<T> x, Var<T> weights);
/// ReLU: max(x, 0).
template <class T>
Var<T> relu(Var<T> x);
/// ELU: x if x > 0, alpha (exp(x) - 1) otherwise.
template <class T>
Var<T> elu(Var<T> x, T alpha = T(1));
/// Inverted dropout with a keyed mask (element i keeps its key's draw).
template <class T>
Var<T> dropout(Var<T> x, const KeyedDropout<T>& dropout);

}  // namespace heed::ops
