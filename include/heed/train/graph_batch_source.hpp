#pragma once
// Graph classification and regression: many small graphs, trained on in
// batches of graphs. A batch is the chosen graphs as one block-diagonal
// graph (GraphBatch) with their node and edge feature rows, and one output
// row per graph; training batches reshuffle every epoch by (seed, epoch).
#include <array>
#include <cstdint>
#include <vector>

#include "heed/data/graph_dataset.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/train/batch.hpp"

namespace heed::train {

class GraphBatchSource final : public BatchSource {
 public:
  /// The dataset's graphs as the model described by `spec` wants them (a
  /// self loop on every node for GNN stacks; edge features carried onto an
  /// added loop as the mean of the node's in-edge features, PyG's
  /// fill_value="mean"), the graphs of each part (indices into the
  /// dataset: train, valid, test) and `batch_size` graphs a batch. The
  /// dataset must outlive the source. heed::Error if a part is empty or
  /// names a graph outside the dataset, or the batch size is below 1.
  GraphBatchSource(const data::GraphDataset& dataset, const nn::ModelSpec& spec,
                   std::array<std::vector<std::int64_t>, 3> parts, int batch_size);

  const Task& task() const override { return task_; }
  void training_batches(std::uint64_t seed, int epoch,
                        const std::function<void(const Batch&)>& visit) override;
  void evaluation_batches(const std::function<void(const Batch&)>& visit) override;

  /// The training graphs of `epoch`, in the order its batches take them.
  std::vector<std::int64_t> training_order(std::uint64_t seed, int epoch) const;
  /// Every graph as the model sees it, and its edge features.
  const GraphBatch& graphs() const { return graphs_; }
  const Tensor<float>& edge_features() const { return edge_attr_; }
  /// Builds the batch of `chosen` (indices into the dataset), with their
  /// targets under `part`, and visits it: how one graph is looked at alone.
  void visit_batch(std::span<const std::int64_t> chosen, Part part,
                   const std::function<void(const Batch&)>& visit) const;

 private:
  const data::GraphDataset* dataset_;
  Task task_;
  GraphBatch graphs_;
  Tensor<float> edge_attr_;  // one row per edge of graphs_.graph, or none
  bool with_edges_ = false;
  std::array<std::vector<std::int64_t>, 3> parts_;
  int batch_size_;
};

}  // namespace heed::train
