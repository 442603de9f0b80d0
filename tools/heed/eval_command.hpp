#pragma once
// `heed eval`: a saved model's accuracy on a dataset's splits.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "trained_model.hpp"

namespace heed::cli {

struct EvalConfig {
  ModelOptions model;
  std::optional<std::string> split;  // default: the one the model was trained with
  bool json = false;
};

CLI::App* add_eval_command(CLI::App& app, EvalConfig& config);
int run_eval(const EvalConfig& config);

}  // namespace heed::cli
