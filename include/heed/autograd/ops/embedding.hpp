#pragma once
// Embedding lookup (torch.nn.functional.embedding): row i of the output is
// row ids_i of the table; the table's gradient sums the rows of every
// occurrence of an id (kernels/embedding.hpp). The ids are copied onto the
// tape, so they need not outlive it. Finite-difference test in double
// (tests/autograd).
#include <cstdint>
#include <span>

#include "heed/autograd/tape.hpp"

namespace heed::ops {

/// N x width from a V x width table; heed::Error if an id is outside [0, V).
template <class T>
Var<T> embedding(Var<T> table, std::span<const std::int32_t> ids);

}  // namespace heed::ops
