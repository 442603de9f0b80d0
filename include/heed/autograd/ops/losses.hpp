#pragma once
// Losses and the log-softmax they start from.
// Every op here has a finite-difference test in double (tests/autograd).
#include <cstdint>
#include <span>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::ops {

/// Row-wise log-softmax.
template <class T>
Var<T> log_softmax(Var<T> x);
/// Mean over `rows` of -logp[r, labels[r]] (1 x 1).
template <class T>
Var<T> nll_loss(Var<T> log_probs, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows);

/// Cross-entropy of logits: mean over k of -log_softmax(x)[rows[k], classes[k]]
/// (1 x 1), computed as nll of log_softmax.
template <class T>
Var<T> cross_entropy(Var<T> logits, std::span<const NodeId> rows,
                     std::span<const std::int32_t> classes);
/// Binary cross-entropy with logits, mean over the chosen rows and every
/// column: max(x, 0) - x y + log(1 + exp(-|x|)), stable for any x. `targets`
/// is rows.size() x cols, values in [0, 1].
template <class T>
Var<T> bce_with_logits(Var<T> logits, std::span<const NodeId> rows, const Tensor<T>& targets);
/// Mean squared error over the chosen rows and every column: mean (x - y)^2.
template <class T>
Var<T> mse_loss(Var<T> x, std::span<const NodeId> rows, const Tensor<T>& targets);
/// Mean absolute error: mean |x - y| (its gradient at x = y taken as 0).
template <class T>
Var<T> l1_loss(Var<T> x, std::span<const NodeId> rows, const Tensor<T>& targets);

}  // namespace heed::ops
