#pragma once
// A saved model and the graph it runs on, as `heed eval`, `heed attention`
// and `heed explain` need them: the checkpoint, its dataset (the one it was
// trained on unless --data names another) and one inference pass.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "heed/data/dataset_source.hpp"
#include "heed/nn/model.hpp"
#include "heed/train/checkpoint.hpp"

namespace heed::cli {

struct ModelOptions {
  std::string path;            // the checkpoint
  data::DatasetSource source;  // used only where --data is given
  int threads = 0;
};

/// Adds --model, --data, --normalise-features and --threads to `cmd`.
void add_model_options(CLI::App& cmd, ModelOptions& options);

class TrainedModel {
 public:
  /// Loads the checkpoint and the dataset; heed::Error if the model does not
  /// fit the dataset's features and classes.
  explicit TrainedModel(const ModelOptions& options);

  const train::Checkpoint& checkpoint() const { return checkpoint_; }
  const data::Dataset& dataset() const { return dataset_; }
  /// The graph the model runs on, as in training (nn::model_input_graph).
  const Graph& graph() const { return graph_; }
  /// The split the model was trained with, if recorded, else "public".
  std::string split() const;

  /// One forward pass without dropout: log-probabilities (N x classes), and
  /// every attention layer's coefficients if `attention` is set.
  Tensor<float> infer(std::vector<nn::Attention<float>>* attention = nullptr);
  /// The same pass's raw outputs (logits).
  Tensor<float> logits(std::vector<nn::Attention<float>>* attention = nullptr);

 private:
  std::string path_;
  train::Checkpoint checkpoint_;
  data::Dataset dataset_;
  Graph graph_;
  std::unique_ptr<nn::Model<float>> model_;
};

/// The index of the largest entry of each row.
std::vector<int> predicted_classes(const Tensor<float>& log_probs);

}  // namespace heed::cli
