#pragma once
// The graph-level end of a model: each graph's node rows pooled into one row
// (sum, mean, max, or attention pooling), then an MLP head
//   out = W_2 dropout(relu(W_1 r + b_1)) + b_2,
// as PyG's graph classification examples end (global pooling, then an MLP).
// Attention pooling is PyG's AttentionalAggregation with a linear gate
// (DGL's GlobalAttentionPooling):
//   r_g = sum_{i in g} softmax_{i in g}(h_i w_gate + b_gate) h_i.
// A readout of every layer (the GIN paper's; PyG's jk="cat") pools each of
// several row sets h^0 (the input), ..., h^L and concatenates them before the
// head: W_1 [r^0; ...; r^L] = sum_k W_1^k r^k, so each gets its own block
// of the head's first weights (one bias, on the first block).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/nn/layer.hpp"
#include "heed/nn/linear.hpp"

namespace heed::nn {

template <class T>
class GraphReadout {
 public:
  GraphReadout() = default;
  /// Pools row sets of the given widths (one: the last layer's output) and
  /// maps them through a head of `hidden` units to `out` values.
  GraphReadout(Readout kind, std::vector<int> widths, int hidden, int out, Rng& rng)
      : kind_(kind), head_out_(hidden, out, rng, "head.1") {
    if (kind == Readout::kNone) throw Error("graph readout: no readout kind");
    if (widths.empty()) throw Error("graph readout: nothing to pool");
    // The last layer's block keeps the single-input names, so that models
    // saved before every-layer readouts read back.
    const std::size_t last = widths.size() - 1;
    for (std::size_t k = 0; k < widths.size(); ++k) {
      std::string head = "head.0", gate = "pool.gate";
      if (k != last) {
        head.append(".").append(std::to_string(k));
        gate.append(".").append(std::to_string(k));
      }
      head_in_.emplace_back(widths[k], hidden, rng, head, k == last);
      if (kind == Readout::kAttention) gates_.emplace_back(widths[k], 1, rng, gate);
    }
  }

  /// One output row per graph of `offsets` from the row sets `hs` (as many
  /// as the widths given); `dropout` on the head's hidden units (its key one
  /// of the step's); `pooling`, if given, receives the attention weights of
  /// the last set.
  Var<T> forward(std::span<const Var<T>> hs, std::span<const std::int64_t> offsets,
                 const KeyedDropout<T>& dropout, Tensor<T>* pooling) {
    if (hs.size() != head_in_.size()) {
      throw Error("graph readout: " + std::to_string(hs.size()) + " row sets for " +
                  std::to_string(head_in_.size()) + " head blocks");
    }
    Var<T> hidden;
    for (std::size_t k = 0; k < hs.size(); ++k) {
      const bool last = k + 1 == hs.size();
      const Var<T> part = head_in_[k].forward(pool(hs[k], k, offsets, last ? pooling : nullptr));
      hidden = k == 0 ? part : ops::add(hidden, part);
    }
    return head_out_.forward(ops::dropout(ops::relu(hidden), dropout));
  }

  void collect(std::vector<Parameter<T>*>& out) {
    for (Linear<T>& g : gates_) g.collect(out);
    for (Linear<T>& l : head_in_) l.collect(out);
    head_out_.collect(out);
  }

 private:
  Var<T> pool(Var<T> h, std::size_t k, std::span<const std::int64_t> offsets, Tensor<T>* pooling) {
    Var<T> pooled;
    switch (kind_) {
      case Readout::kSum:
        pooled = ops::segment_sum(h, offsets);
        break;
      case Readout::kMean:
        pooled = ops::segment_mean(h, offsets);
        break;
      case Readout::kMax:
        pooled = ops::segment_max(h, offsets);
        break;
      case Readout::kAttention: {
        const Var<T> weights = ops::segment_softmax(gates_[k].forward(h), offsets);
        if (pooling) *pooling = weights.value();
        pooled = ops::segment_sum(ops::scale_rows(h, weights), offsets);
        break;
      }
      case Readout::kNone:
        throw Error("graph readout: no readout kind");
    }
    return pooled;
  }

  Readout kind_ = Readout::kNone;
  std::vector<Linear<T>> gates_;    // attention pooling: one gate per row set
  std::vector<Linear<T>> head_in_;  // the head's first layer, a block per row set
  Linear<T> head_out_;
};

}  // namespace heed::nn
