#pragma once
// Losses and the log-softmax they start from.
// Every op here has a finite-difference test in double (tests/autograd).
#include <cstdint>
#include <span>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"

namespace heed::ops {

/// Row-wise log-softmax.
template <class T>
Var<T> log_softmax(Var<T> x);
/// Mean over `rows` of -logp[r, labels[r]] (1 x 1).
template <class T>
Var<T> nll_loss(Var<T> log_probs, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows);

}  // namespace heed::ops
