#pragma once
// `heed explain`: an SVG of what one node attended to, or of what a
// whole-graph model looked at in one of its graphs.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "trained_model.hpp"

namespace heed::cli {

struct ExplainConfig {
  ModelOptions model;
  std::optional<std::int64_t> node;
  std::optional<std::int64_t> graph;
  int hops = 2;
  int max_per_hop = 30;
  std::string out;
};

CLI::App* add_explain_command(CLI::App& app, ExplainConfig& config);
int run_explain(const ExplainConfig& config);

}  // namespace heed::cli
