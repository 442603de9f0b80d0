#pragma once
// Readouts: node rows of a batch of graphs to one row per graph. Graph g of
// the batch owns the input rows [offsets[g], offsets[g + 1]) (the batch's
// block-diagonal layout, kernels/segment_readout.hpp); `offsets` must
// outlive the tape. Attention pooling (PyG's AttentionalAggregation, DGL's
// GlobalAttentionPooling) is segment_sum(scale_rows(f, segment_softmax(gate))).
// Every op here has a finite-difference test in double (tests/autograd).
#include <cstdint>
#include <span>

#include "heed/autograd/tape.hpp"

namespace heed::ops {

/// G x width: each graph's sum of its node rows (zero for a graph without nodes).
template <class T>
Var<T> segment_sum(Var<T> x, std::span<const std::int64_t> offsets);
/// G x width: each graph's mean of its node rows (zero for a graph without nodes).
template <class T>
Var<T> segment_mean(Var<T> x, std::span<const std::int64_t> offsets);
/// G x width: each graph's column-wise max; the gradient goes to the first
/// row that reaches it.
template <class T>
Var<T> segment_max(Var<T> x, std::span<const std::int64_t> offsets);
/// N x heads: a softmax of each column over each graph's nodes (the pooling
/// weights of attention pooling).
template <class T>
Var<T> segment_softmax(Var<T> scores, std::span<const std::int64_t> offsets);

}  // namespace heed::ops
