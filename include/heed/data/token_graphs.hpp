#pragma once
// Documents as graphs of their tokens, for graph-level models over text
// (nn/token_graph_model.hpp): node i of a document is its i-th token, its
// one feature the token's id. The complete graph links every token to every
// token (itself included): attention over it is a transformer's
// self-attention. The window graph links tokens at most `window` apart, a
// sliding window as in local attention.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "heed/data/graph_dataset.hpp"

namespace heed::data {

enum class TokenGraph { kComplete, kWindow };

/// One graph per document (its token ids, each non-empty), classes as given.
/// The graph's in-CSR is written directly, sorted, with every self loop.
/// heed::Error if a document is empty, the classes do not match the
/// documents or lie outside [0, num_classes), or the window is below 1.
GraphDataset token_graph_dataset(std::string name,
                                 std::span<const std::vector<std::int32_t>> documents,
                                 std::span<const std::int32_t> classes, int num_classes,
                                 std::vector<std::string> class_names, TokenGraph kind,
                                 int window = 2);

}  // namespace heed::data
