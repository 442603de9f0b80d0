#pragma once
// The argument checks every op makes at the API boundary: inputs on one
// tape, and tensors of the shapes the op needs, with the op named.
#include <string>

#include "heed/autograd/tape.hpp"
#include "heed/error.hpp"

namespace heed::ops {

template <class T>
void require_same_tape(Var<T> a, Var<T> b, const char* op) {
  if (&a.tape() != &b.tape()) throw Error(std::string(op) + ": inputs on different tapes");
}

template <class T>
void require_shape(const Tensor<T>& t, std::size_t rows, std::size_t cols, const char* op,
                   const char* what) {
  if (t.rows() != rows || t.cols() != cols) {
    throw Error(std::string(op) + ": " + what + " is " + t.shape_string() + ", expected [" +
                std::to_string(rows) + " x " + std::to_string(cols) + "]");
  }
}

}  // namespace heed::ops
