#pragma once
// `heed train`: repeated seeded runs of GAT on a dataset or a synthetic graph.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "dataset_source.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/train/trainer.hpp"

namespace heed::cli {

struct TrainConfig {
  DatasetSource source;            // synthetic.seed is set from `seed`
  std::string model_name = "gat";  // gat | gatv2 | gcn | sage
  nn::GATOptions model;            // sizes and dropouts; gcn and sage use hidden and dropout
  int layers = 2;
  bool residual = false;
  std::string norm = "none";        // none | layer
  std::string attention = "graph";  // transformer: graph | dense-masked | dense | graph+dense
  int ffn_hidden = 0;               // transformer: 0 = twice the model width
  int laplacian_k = 0;              // transformer: Laplacian encodings (0: none)
  bool norm_first = false;          // transformer: pre-norm blocks
  train::TrainOptions training;
  std::optional<std::string> save;        // checkpoint of the run with the best validation accuracy
  std::optional<std::string> checkpoint;  // the run's training state, every checkpoint_every epochs
  int checkpoint_every = 10;
  std::optional<std::string> resume;  // continue the run saved there
  int runs = 1;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: the OpenMP default
  bool json = false;
};

/// Adds the `train` subcommand; `config` receives its flags.
CLI::App* add_train_command(CLI::App& app, TrainConfig& config);

/// The model the flags describe, sized for `dataset`.
nn::ModelSpec model_spec(const TrainConfig& config, const data::Dataset& dataset);

/// Runs the job; returns the process exit status.
int run_train(const TrainConfig& config);

}  // namespace heed::cli
