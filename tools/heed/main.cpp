// The heed command-line tool.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "attention_command.hpp"
#include "bench_command.hpp"
#include "eval_command.hpp"
#include "experiment_command.hpp"
#include "explain_command.hpp"
#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"
#include "train_command.hpp"

namespace {

// This executable, for the bench suite to re-run: /proc/self/exe where
// there is one, else argv[0].
std::string executable_path(const char* argv0) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : self.string();
}

// OpenBLAS picks its kernels when it is loaded; on VMs that hide the CPU
// model it may fall back to SSE3 ones at half speed. The fix is an
// environment variable it reads at load time, so set it and start again.
void use_the_right_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user chose, or we did
  const std::string core = heed::better_blas_core();
  if (core.empty()) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then go on as we are
}

}  // namespace

int main(int argc, char** argv) {
  use_the_right_blas_kernels(argv);
  CLI::App app{"heed: graph attention networks"};
  app.require_subcommand(1);
  heed::cli::TrainConfig train;
  CLI::App* train_command = heed::cli::add_train_command(app, train);
  heed::cli::BenchConfig bench;
  CLI::App* bench_command = heed::cli::add_bench_command(app, bench);
  heed::cli::EvalConfig eval;
  CLI::App* eval_command = heed::cli::add_eval_command(app, eval);
  heed::cli::AttentionConfig attention;
  CLI::App* attention_command = heed::cli::add_attention_command(app, attention);
  heed::cli::ExplainConfig explain;
  CLI::App* explain_command = heed::cli::add_explain_command(app, explain);
  heed::cli::ExperimentConfig experiment;
  CLI::App* experiment_command = heed::cli::add_experiment_command(app, experiment);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (train_command->parsed()) return heed::cli::run_train(train);
    if (bench_command->parsed()) return heed::cli::run_bench(bench, executable_path(argv[0]));
    if (eval_command->parsed()) return heed::cli::run_eval(eval);
    if (attention_command->parsed()) return heed::cli::run_attention(attention);
    if (explain_command->parsed()) return heed::cli::run_explain(explain);
    if (experiment_command->parsed()) {
      return heed::cli::run_experiment(*experiment_command, experiment);
    }
  } catch (const heed::Error& e) {
    std::fprintf(stderr, "heed: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heed: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
