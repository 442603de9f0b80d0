#pragma once
// `heed data download NAME...` and `heed data list`: public datasets by name,
// as PyG users fetch them, into heed's cache.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace heed::cli {

struct DataConfig {
  std::vector<std::string> names;
  std::string cache;     // empty: $HEED_DATA, else ~/.cache/heed
  std::string base_url;  // empty: each dataset's usual URL
  bool force = false;
  bool json = false;
};

/// Adds `data` with its `download` and `list` subcommands.
CLI::App* add_data_command(CLI::App& app, DataConfig& config);
int run_data(const CLI::App& command, const DataConfig& config);

}  // namespace heed::cli
