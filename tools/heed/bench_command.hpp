#pragma once
// `heed bench`: speed and memory of heed's layers and of a training epoch.
// One measurement per process, so each reports its own peak memory; with no
// measurement named, the whole suite runs, each case in a child process.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heed::cli {

struct BenchConfig {
  std::optional<std::string> layer;  // a registered conv
  std::string graph = "uniform";
  std::int64_t nodes = 100'000;
  std::int64_t edges = 1'000'000;
  bool epoch = false;
  // The hardware lottery: dense against sparse attention by edge density.
  bool crossover = false;
  std::vector<std::int64_t> crossover_nodes{1000, 4000, 16000};
  std::vector<double> densities{0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0};
  std::string data = "cora";
  int repeats = 0;  // 0: 11; 5 from 200k nodes; 3 from 1M
  int threads = 0;
  std::uint64_t seed = 0;
  bool json = false;
  // Each case on 1 thread and on --threads (0: all cores), side by side.
  bool thread_scaling = false;
};

CLI::App* add_bench_command(CLI::App& app, BenchConfig& config);

/// Runs the measurement or the suite; returns the process exit status.
/// `self` is the path of this executable, re-run for each suite case.
int run_bench(const BenchConfig& config, const std::string& self);

}  // namespace heed::cli
