#pragma once
// `heed predict`: a saved model's outputs for every node, in eval mode.
#include <CLI/CLI.hpp>
#include <string>

#include "trained_model.hpp"

namespace heed::cli {

struct PredictConfig {
  ModelOptions model;
  std::string out;
};

CLI::App* add_predict_command(CLI::App& app, PredictConfig& config);
int run_predict(const PredictConfig& config);

}  // namespace heed::cli
