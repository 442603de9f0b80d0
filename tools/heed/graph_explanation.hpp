#pragma once
// What a whole-graph model looked at in one of its graphs, for `heed explain
// --graph`: the attention on each of the graph's edges and a weight on each
// node, from one inference pass over that graph alone.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "heed/data/graph_dataset.hpp"
#include "heed/nn/model.hpp"

namespace heed::cli {

struct GraphExplanation {
  std::int64_t num_nodes = 0;
  /// Each undirected edge of the graph once, as local node ids (u < v), self
  /// loops left out; sorted.
  std::vector<std::array<std::int64_t, 2>> edges;
  /// Per edge: its attention coefficient averaged over the attention layers,
  /// the heads and both directions (empty when no layer attends).
  std::vector<double> edge_weight;
  /// Per node: attention pooling's weight where the readout is attention
  /// (summing to 1), else the attention the node sends (the sum of its
  /// out-edges' coefficients, self loop included, averaged over heads and
  /// layers: 1 on average).
  std::vector<double> node_weight;
  std::string node_measure;  // which of the two node_weight is
  /// The model's output for the graph: logits, or predicted values.
  std::vector<float> output;
};

/// Runs `model` (graph-level) on graph `graph` of `dataset` alone, without
/// dropout, and collects its attention. heed::Error if the graph is not in
/// the dataset or the model has neither attention layers nor attention
/// pooling.
GraphExplanation explain_graph(nn::Model<float>& model, const data::GraphDataset& dataset,
                               std::int64_t graph);

}  // namespace heed::cli
