#include "experiment_command.hpp"

#include <fmt/core.h>

#include "flag_checks.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "heed/tensor/blas.hpp"
#include "heed/train/metrics.hpp"

namespace heed::cli {
namespace {

int run_dictionary_lookup(const ExperimentConfig& c) {
  nlohmann::json rows = nlohmann::json::array();
  if (!c.json) {
    fmt::print("DictionaryLookup, k = {} keys, {} graphs ({} % for training), {} run(s) each\n",
               c.lookup.data.keys, c.lookup.data.graphs, 100 * c.lookup.data.train_share, c.runs);
    fmt::print("{:<7} {:>5} {:>16} {:>16} {:>8} {:>8}\n", "model", "heads", "train acc %",
               "unseen acc %", "epochs", "seconds");
  }
  for (const std::string& model : c.models) {
    for (int heads : c.heads) {
      std::vector<double> train, test, epochs, seconds;
      for (int r = 0; r < c.runs; ++r) {
        train::DictionaryLookupStudy s = c.lookup;
        s.conv = nn::parse_conv_kind(model);
        s.heads = heads;
        s.seed = c.lookup.seed + std::uint64_t(r);
        s.data.seed = c.lookup.data.seed + std::uint64_t(r);
        const train::DictionaryLookupResult res = train::run_dictionary_lookup(s);
        train.push_back(res.train_accuracy);
        test.push_back(res.test_accuracy);
        epochs.push_back(res.epochs);
        seconds.push_back(res.seconds);
      }
      const train::MeanStd tr = train::mean_std(train), te = train::mean_std(test);
      const double ep = train::mean_std(epochs).mean, sec = train::mean_std(seconds).mean;
      rows.push_back({{"model", model},
                      {"heads", heads},
                      {"train_accuracy", train},
                      {"train_mean", tr.mean},
                      {"train_std", tr.std},
                      {"unseen_accuracy", test},
                      {"unseen_mean", te.mean},
                      {"epochs_mean", ep},
                      {"seconds_mean", sec}});
      if (!c.json) {
        fmt::print("{:<7} {:>5} {:>9.2f} +- {:<4.2f} {:>9.2f} +- {:<4.2f} {:>8.0f} {:>8.1f}\n",
                   model, heads, 100 * tr.mean, 100 * tr.std, 100 * te.mean, 100 * te.std, ep, sec);
        std::fflush(stdout);
      }
    }
  }
  if (c.json) {
    const nlohmann::json j = {
        {"experiment", "dictionary-lookup"}, {"keys", c.lookup.data.keys},
        {"graphs", c.lookup.data.graphs},    {"train_share", c.lookup.data.train_share},
        {"hidden", c.lookup.hidden},         {"lr", c.lookup.lr},
        {"max_epochs", c.lookup.max_epochs}, {"runs", c.runs},
        {"threads", num_threads()},          {"results", rows}};
    std::puts(j.dump(2).c_str());
  }
  return 0;
}

}  // namespace

CLI::App* add_experiment_command(CLI::App& app, ExperimentConfig& c) {
  CLI::App* cmd = app.add_subcommand("experiment", "Studies run end to end, printed as a table");
  cmd->require_subcommand(1);
  CLI::App* lookup = cmd->add_subcommand(
      "dictionary-lookup",
      "Static (GAT) against dynamic (GATv2) attention on the GATv2 paper's DictionaryLookup "
      "problem: training accuracy per model and head count");
  lookup->add_option("--keys", c.lookup.data.keys, "Keys per bipartite graph (k)")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000));
  lookup->add_option("--graphs", c.lookup.data.graphs, "Bipartite graphs")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  lookup->add_option("--models", c.models, "Attention layers to compare")
      ->capture_default_str()
      ->check(CLI::IsMember({"gat", "gatv2"}));
  lookup->add_option("--heads", c.heads, "Head counts to try")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  lookup->add_option("--hidden", c.lookup.hidden, "Features per head")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  lookup->add_option("--lr", c.lookup.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(positive_number());
  lookup->add_option("--epochs", c.lookup.max_epochs, "Most full-batch epochs")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  lookup->add_option("--runs", c.runs, "Runs per row (seed, seed + 1, ...)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  lookup->add_option("--seed", c.lookup.seed, "Seed of the first run")->capture_default_str();
  lookup->add_option("--threads", c.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  lookup->add_flag("--json", c.json, "Write results as JSON to stdout");
  return cmd;
}

int run_experiment(const CLI::App& command, const ExperimentConfig& c) {
  if (c.threads > 0) set_num_threads(c.threads);
  if (command.got_subcommand("dictionary-lookup")) return run_dictionary_lookup(c);
  return 1;
}

}  // namespace heed::cli
