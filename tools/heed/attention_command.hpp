#pragma once
// `heed attention`: every attention coefficient of a saved model, as CSV.
#include <CLI/CLI.hpp>
#include <string>

#include "trained_model.hpp"

namespace heed::cli {

struct AttentionConfig {
  ModelOptions model;
  std::string out;
};

CLI::App* add_attention_command(CLI::App& app, AttentionConfig& config);
int run_attention(const AttentionConfig& config);

}  // namespace heed::cli
