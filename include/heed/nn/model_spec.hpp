#pragma once
// Everything needed to build a node classifier again: which model, its sizes
// and options. Checkpoints store it, so a saved model can be rebuilt before
// its parameters are loaded.
#include <memory>
#include <string>

#include "heed/nn/gat.hpp"
#include "heed/nn/gnn_stack.hpp"
#include "heed/nn/graph_transformer.hpp"
#include "heed/nn/node_model.hpp"

namespace heed::nn {

struct ModelSpec {
  ConvKind kind = ConvKind::kGAT;
  /// Sizes, dropouts and slope; gcn and sage use hidden_channels and dropout.
  GATOptions sizes;
  int layers = 2;
  bool residual = false;
  Normalisation norm = Normalisation::kNone;
  /// Transformer only: how attention runs, and the feed-forward width
  /// (0: twice the model width, heads * hidden_channels).
  AttentionMode attention = AttentionMode::kGraph;
  int ffn_hidden = 0;
  /// Transformer only: Laplacian positional encodings of this size (0: none).
  int laplacian_k = 0;
  /// Transformer only: pre-norm blocks (see GraphTransformerOptions).
  bool norm_first = false;

  /// Two layers without residuals or normalisation are the papers' models
  /// (GAT, GATv2, GCN, GraphSAGE); anything else is a GNNStack.
  bool is_stack() const { return layers != 2 || residual || norm != Normalisation::kNone; }
};

/// Builds the model the spec describes, initialised from `rng`.
std::unique_ptr<NodeModel<float>> make_model(const ModelSpec& spec, Rng& rng);

/// The spec as JSON text, and back. Parsing throws heed::Error naming the
/// missing or bad field, prefixed by `context` (a file name, say).
std::string to_json_text(const ModelSpec& spec);
ModelSpec model_spec_from_json_text(const std::string& text, const std::string& context);

}  // namespace heed::nn
