// The heed command-line tool.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "heed/error.hpp"
#include "train_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"heed: graph attention networks"};
  app.require_subcommand(1);
  heed::cli::TrainConfig train;
  CLI::App* train_command = heed::cli::add_train_command(app, train);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (train_command->parsed()) return heed::cli::run_train(train);
  } catch (const heed::Error& e) {
    std::fprintf(stderr, "heed: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heed: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
