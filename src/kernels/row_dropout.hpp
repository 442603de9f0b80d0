#pragma once
// The attention dropout masks of one CSR row, drawn together. Element (e, h)
// of the E x H coefficients has counter e * H + h (edge ids as in the
// in-CSR), so a destination row's masks are one run of counters and a source
// row's (in the out-CSR) one run of H per out-edge at its edge id; forward
// and backward walks draw the same masks without storing them.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "heed/graph/graph.hpp"
#include "heed/tensor/random.hpp"

namespace heed::kernels {

/// Per-thread buffers for the masks of one row at a time.
template <class T>
class RowDropout {
 public:
  /// The masks of the in-edges [begin, end) of a destination row, H per
  /// edge. One object serves one dropout and heads count (a thread's walk).
  const T* destination_row(const KeyedDropout<T>& dropout, EdgeId begin, EdgeId end, int heads) {
    if (begin < drawn_begin_ || end > drawn_end_) {
      // Drawn ahead: the next rows of a walk are the next edges, and one
      // draw per row cost more in its set-up than in its mixes on rows of a
      // few edges (Cora's five).
      drawn_begin_ = begin;
      drawn_end_ = std::max(end, begin + std::max<EdgeId>(kAheadValues / heads, 1));
      const std::size_t count = std::size_t((drawn_end_ - drawn_begin_) * heads);
      drawn_.resize(std::max(drawn_.size(), count));
      dropout.scales(std::uint64_t(begin * heads), int(count), drawn_.data());
    }
    return drawn_.data() + std::size_t((begin - drawn_begin_) * heads);
  }
  /// The masks of a source row's out-edges, positions [first, last) of the
  /// out-CSR with edge ids `out_ids`, H per edge.
  const T* source_row(const KeyedDropout<T>& dropout, const EdgeId* out_ids, EdgeId first,
                      EdgeId last, int heads) {
    const std::size_t count = std::size_t(last - first);
    firsts_.resize(std::max(firsts_.size(), count));
    scales_.resize(std::max(scales_.size(), count * std::size_t(heads)));
    for (std::size_t c = 0; c < count; ++c) {
      firsts_[c] = std::uint64_t(out_ids[first + EdgeId(c)] * heads);
    }
    dropout.scales_at(firsts_.data(), int(count), heads, scales_.data());
    return scales_.data();
  }

 private:
  static constexpr EdgeId kAheadValues = 2048;
  std::vector<T> drawn_;
  EdgeId drawn_begin_ = 1, drawn_end_ = 0;  // nothing drawn
  std::vector<T> scales_;
  std::vector<std::uint64_t> firsts_;
};

}  // namespace heed::kernels
