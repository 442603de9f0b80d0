#pragma once
// The whole `heed` command line: every subcommand's flags, parsed into their
// configurations, and the dispatch to the one given. main() and the
// command-line fuzz target share it.
#include <CLI/CLI.hpp>
#include <string>

#include "attention_command.hpp"
#include "bench_command.hpp"
#include "data_command.hpp"
#include "eval_command.hpp"
#include "experiment_command.hpp"
#include "explain_command.hpp"
#include "predict_command.hpp"
#include "pyg_commands.hpp"
#include "train_command.hpp"

namespace heed::cli {

/// What `heed --version` prints: the version, the compiler and build, the
/// BLAS kernels in use and the OpenMP threads.
std::string version_text();

class HeedApp {
 public:
  HeedApp();
  HeedApp(const HeedApp&) = delete;
  HeedApp& operator=(const HeedApp&) = delete;

  /// Throws CLI::ParseError (including --help) for the caller to report
  /// with app().exit(e).
  void parse(int argc, const char* const* argv);
  /// Runs the parsed subcommand; returns the exit status. heed::Error and
  /// other exceptions propagate.
  int run(const std::string& executable);

  CLI::App& app() { return app_; }

 private:
  CLI::App app_{"heed: graph attention networks"};
  TrainConfig train_;
  BenchConfig bench_;
  EvalConfig eval_;
  AttentionConfig attention_;
  ExplainConfig explain_;
  ExperimentConfig experiment_;
  PredictConfig predict_;
  ImportConfig import_;
  ExportConfig export_;
  DataConfig data_;
  CLI::App* train_command_;
  CLI::App* bench_command_;
  CLI::App* eval_command_;
  CLI::App* attention_command_;
  CLI::App* explain_command_;
  CLI::App* experiment_command_;
  CLI::App* predict_command_;
  CLI::App* import_command_;
  CLI::App* export_command_;
  CLI::App* data_command_;
};

}  // namespace heed::cli
