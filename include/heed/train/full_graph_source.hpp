#pragma once
// Full-batch node classification: the whole graph is one batch, for
// training and for evaluation; the targets are the labelled nodes of each
// part of the named split.
#include <string>

#include "heed/data/dataset.hpp"
#include "heed/train/batch.hpp"

namespace heed::train {

class FullGraphSource final : public BatchSource {
 public:
  /// The dataset's graph with a self loop on every node (the layers that
  /// want them find them there), its features (their nonzeros stored once
  /// when most are zero) and the split's parts. heed::Error, naming the
  /// dataset, if a part is empty or holds a node without a label. The
  /// dataset must outlive the source.
  FullGraphSource(const data::Dataset& dataset, const std::string& split);
  /// The same on `graph`, the dataset's graph as the model wants it
  /// (nn::model_input_graph).
  FullGraphSource(const data::Dataset& dataset, const std::string& split, Graph graph);

  const Task& task() const override { return task_; }
  void training_batches(std::uint64_t seed, int epoch,
                        const std::function<void(const Batch&)>& visit) override;
  void evaluation_batches(const std::function<void(const Batch&)>& visit) override;

  /// The graph the model runs on.
  const Graph& graph() const { return graph_; }
  const nn::NodeFeatures<float>& features() const { return x_; }

 private:
  Task task_;
  Graph graph_;
  nn::NodeFeatures<float> x_;
  std::array<Targets, 3> parts_;
};

}  // namespace heed::train
