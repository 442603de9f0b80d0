#pragma once
// The graph-level end of a model: each graph's node rows pooled into one row
// (sum, mean, max, or attention pooling), then an MLP head
//   out = W_2 dropout(relu(W_1 r + b_1)) + b_2,
// as PyG's graph classification examples end (global pooling, then an MLP).
// Attention pooling is PyG's AttentionalAggregation with a linear gate
// (DGL's GlobalAttentionPooling):
//   r_g = sum_{i in g} softmax_{i in g}(h_i w_gate + b_gate) h_i.
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
  /// Pools rows of `width` and maps them through a head of `hidden` units to
  /// `out` values.
  GraphReadout(Readout kind, int width, int hidden, int out, Rng& rng)
      : kind_(kind), head_in_(width, hidden, rng, "head.0"), head_out_(hidden, out, rng, "head.1") {
    if (kind == Readout::kNone) throw Error("graph readout: no readout kind");
    if (kind == Readout::kAttention) gate_ = Linear<T>(width, 1, rng, "pool.gate");
  }

  /// One output row per graph of `offsets`; `dropout` on the head's hidden
  /// units (its key one of the step's); `pooling`, if given, receives the
  /// attention weights.
  Var<T> forward(Var<T> h, std::span<const std::int64_t> offsets, const KeyedDropout<T>& dropout,
                 Tensor<T>* pooling) {
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
        const Var<T> weights = ops::segment_softmax(gate_.forward(h), offsets);
        if (pooling) *pooling = weights.value();
        pooled = ops::segment_sum(ops::scale_rows(h, weights), offsets);
        break;
      }
      case Readout::kNone:
        throw Error("graph readout: no readout kind");
    }
    return head_out_.forward(ops::dropout(ops::relu(head_in_.forward(pooled)), dropout));
  }

  void collect(std::vector<Parameter<T>*>& out) {
    if (kind_ == Readout::kAttention) gate_.collect(out);
    head_in_.collect(out);
    head_out_.collect(out);
  }

 private:
  Readout kind_ = Readout::kNone;
  Linear<T> gate_;
  Linear<T> head_in_;
  Linear<T> head_out_;
};

}  // namespace heed::nn
