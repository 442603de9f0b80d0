#pragma once
// `heed train`: repeated seeded runs of a model on a dataset or a synthetic
// graph.
#include <CLI/CLI.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "heed/data/dataset_source.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/train/trainer.hpp"

namespace heed::cli {

struct TrainConfig {
  data::DatasetSource source;             // synthetic.seed is set from `seed`
  nn::ModelSpec spec;                     // in_channels and out_channels come from the dataset
  std::vector<std::string> conv_options;  // NAME=VALUE, into spec.conv_options
  train::TrainOptions training;
  std::optional<std::string> save;        // checkpoint of the run with the best validation score
  std::optional<std::string> checkpoint;  // the run's training state, every checkpoint_every epochs
  int checkpoint_every = 10;
  std::optional<std::string> resume;  // continue the run saved there
  int runs = 1;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: the OpenMP default
  bool json = false;
  // Whole-graph datasets (graph_train.hpp).
  int folds = 0;                // k-fold cross-validation; 0: random splits, one a run
  int batch_size = 128;         // graphs a batch
  bool skip_invalid = false;    // molecules RDKit rejects are counted and left out
  std::set<std::string> given;  // the flags given on the command line
};

/// Adds the `train` subcommand; `config` receives its flags.
CLI::App* add_train_command(CLI::App& app, TrainConfig& config);

/// Runs the job; returns the process exit status.
int run_train(const TrainConfig& config);

}  // namespace heed::cli
