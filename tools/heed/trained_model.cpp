#include "trained_model.hpp"

#include <nlohmann/json.hpp>

#include "dataset_options.hpp"
#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/train/run_settings.hpp"

namespace heed::cli {

void add_model_options(CLI::App& cmd, ModelOptions& options) {
  cmd.add_option("--model", options.path, "Checkpoint written by heed train --save")->required();
  add_dataset_options(cmd, options.source);
  cmd.add_option("--threads", options.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
}

TrainedModel::TrainedModel(const ModelOptions& options)
    : path_(options.path), checkpoint_(train::load_checkpoint(options.path)) {
  if (options.threads > 0) set_num_threads(options.threads);
  if (checkpoint_.spec.is_graph_level()) {
    throw Error(path_ + ": a whole-graph model (" + checkpoint_.spec.model + " with a " +
                nn::name_of(checkpoint_.spec.readout) +
                " readout); this command reads node-level models, heed explain --graph K draws "
                "one of its graphs");
  }
  model_ = train::restore_model(checkpoint_, path_);
  data::DatasetSource source = options.source;
  if (!source.data) {
    // The graph it was trained on, as recorded.
    const std::optional<data::DatasetSource> saved = train::saved_source(checkpoint_, path_);
    if (!saved) throw Error(path_ + ": the checkpoint does not record its dataset; pass --data");
    source = *saved;
  }
  dataset_ = data::load(source);
  const nn::ModelSpec& sizes = checkpoint_.spec;
  if (sizes.in_channels != dataset_.num_features() || sizes.out_channels != dataset_.num_classes) {
    throw Error(path_ + ": the model takes " + std::to_string(sizes.in_channels) +
                " features and predicts " + std::to_string(sizes.out_channels) + " classes, but " +
                dataset_.name + " has " + std::to_string(dataset_.num_features()) +
                " features and " + std::to_string(dataset_.num_classes) + " classes");
  }
  graph_ = nn::model_input_graph(sizes, dataset_.graph);
}

std::string TrainedModel::split() const {
  return train::saved_split(checkpoint_);
}

Tensor<float> TrainedModel::infer(std::vector<nn::Attention<float>>* attention) {
  Tape<float> tape;
  const Tensor<float> out = logits(attention);
  return ops::log_softmax(tape.constant(out)).value();
}

Tensor<float> TrainedModel::logits(std::vector<nn::Attention<float>>* attention) {
  Tape<float> tape(Tape<float>::Gradients::kOff);
  const nn::NodeFeatures<float> x(dataset_.x);
  return model_->forward(tape, x, graph_, nn::ForwardContext{false, 0}, {.attention = attention})
      .value();
}

std::vector<int> predicted_classes(const Tensor<float>& log_probs) {
  std::vector<int> out(log_probs.rows());
  for (std::size_t r = 0; r < log_probs.rows(); ++r) {
    auto row = log_probs.row(r);
    out[r] = int(std::max_element(row.begin(), row.end()) - row.begin());
  }
  return out;
}

}  // namespace heed::cli
