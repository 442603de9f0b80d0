#pragma once
// `heed train`: repeated seeded runs of GAT on a dataset or a synthetic graph.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "heed/data/synthetic.hpp"
#include "heed/nn/gat.hpp"
#include "heed/train/trainer.hpp"

namespace heed::cli {

struct TrainConfig {
  std::optional<std::string> data;  // none: a synthetic graph
  data::SyntheticOptions synthetic;
  bool normalise_features = true;  // real datasets only
  std::string model_name = "gat";  // gat | gatv2 | gcn | sage
  nn::GATOptions model;            // sizes and dropouts; gcn and sage use hidden and dropout
  train::TrainOptions training;
  int runs = 1;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: the OpenMP default
  bool json = false;
};

/// Adds the `train` subcommand; `config` receives its flags.
CLI::App* add_train_command(CLI::App& app, TrainConfig& config);

/// Runs the job; returns the process exit status.
int run_train(const TrainConfig& config);

}  // namespace heed::cli
