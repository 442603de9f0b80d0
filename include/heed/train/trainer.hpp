#pragma once
// The training loop: Adam on the task's loss over a source's training
// batches, evaluation of the validation part after every epoch, early
// stopping and model selection (train/early_stopping.hpp), and every metric
// of the kept model on every part at the end. The source of batches decides
// what a batch is; the loop is the same for every problem.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "heed/data/dataset.hpp"
#include "heed/nn/model.hpp"
#include "heed/optim/adam.hpp"
#include "heed/tensor/random.hpp"
#include "heed/train/batch.hpp"

namespace heed::train {

/// Everything a run needs to continue exactly where it stopped, besides the
/// model's own parameters: a resumed run reaches bitwise the same result as
/// one that was never interrupted (same thread count).
struct TrainingState {
  int epoch = 0;  // epochs completed
  optim::Adam<float>::State adam;
  int epochs_without_improvement = 0;
  double best_loss = 0;
  double best_score = 0;
  std::vector<Tensor<float>> kept;  // the parameters of the kept epoch
  int best_epoch = 0;
  double kept_val_loss = 0;
  double kept_val_score = 0;
  std::string rng;  // the generator's state, as its stream text
  double seconds = 0;
};

struct TrainOptions {
  optim::AdamOptions adam{.lr = 0.005, .weight_decay = 5e-4};
  /// Step decay of the learning rate, as the GIN paper's StepLR: epoch e
  /// (1-based) uses adam.lr x lr_decay ^ floor((e - 1) / lr_step); 0: constant.
  int lr_step = 0;
  double lr_decay = 0.5;
  int max_epochs = 100000;  // the paper's bound; early stopping ends runs long before
  int patience = 100;
  std::string split = "public";
  /// What early stopping and model selection go by: "paper" (the GAT
  /// paper's rule on the validation loss and the task's main metric),
  /// "loss", or the name of one of the task's metrics.
  std::string select = "paper";
  /// Also measure how smooth the kept model's last hidden layer is.
  bool measure_smoothness = false;
  /// Every `checkpoint_every` epochs (0: never), `on_checkpoint` receives the
  /// training state; the model holds that epoch's parameters at the call.
  int checkpoint_every = 0;
  std::function<void(const TrainingState&)> on_checkpoint;
};

/// What one epoch did, for progress displays and logs.
struct EpochReport {
  int epoch = 0;  // 1-based
  double train_loss = 0;
  double val_loss = 0;
  std::string metric;  // the selection metric's name (the task's main one for "paper" and "loss")
  double val_metric = 0;
  int epochs_without_improvement = 0;
  double seconds = 0;  // since fit() began
};

/// Every metric of the task on each part, by part ("train", "valid",
/// "test") and metric name ("accuracy"); "loss" is among them.
using PartMetrics = std::map<std::string, std::map<std::string, double>>;

struct FitResult {
  int epochs_run = 0;
  int best_epoch = 0;   // the epoch whose parameters were kept (1-based)
  double val_loss = 0;  // of the kept model
  /// Multi-class tasks: the kept model's accuracy on the validation and test
  /// parts (also in `metrics`).
  double val_accuracy = 0;
  double test_accuracy = 0;
  PartMetrics metrics;
  double seconds = 0;
  // With measure_smoothness: the kept model's last hidden layer (eval mode),
  // see train/smoothness.hpp.
  double mean_pairwise_distance = 0;
  double dirichlet_energy = 0;
};

/// Trains `model` on the source's batches and leaves it holding the
/// parameters of the kept epoch. Dropout masks are keyed from `rng`, so a
/// seed fixes the run. `on_epoch`, if set, is called after every epoch.
/// With `resume`, the run continues from that state; the model must already
/// hold the parameters saved with it.
FitResult fit(nn::Model<float>& model, BatchSource& source, const TrainOptions& options, Rng& rng,
              const std::function<void(const EpochReport&)>& on_epoch = {},
              const TrainingState* resume = nullptr);

/// Full-batch node classification on the dataset's split options.split
/// (train::FullGraphSource on nn::model_input_graph, built once).
FitResult fit(nn::Model<float>& model, const data::Dataset& dataset, const TrainOptions& options,
              Rng& rng, const std::function<void(const EpochReport&)>& on_epoch = {},
              const TrainingState* resume = nullptr);

}  // namespace heed::train
