#include "experiment_command.hpp"

#include <fmt/core.h>

#include "dataset_options.hpp"
#include "enum_options.hpp"
#include "flag_checks.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "heed/data/dataset.hpp"
#include "heed/data/text_dataset.hpp"
#include "heed/error.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/train/metrics.hpp"
#include "heed/train/progress.hpp"

namespace heed::cli {
namespace {

// The registered convs that attend: what DictionaryLookup compares.
std::vector<std::string> attention_convs() {
  std::vector<std::string> names;
  for (const nn::ConvInfo& c : nn::registered_convs()) {
    if (c.traits.attends) names.push_back(c.traits.name);
  }
  return names;
}

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
        studies::DictionaryLookupStudy s = c.lookup;
        s.conv = model;
        s.heads = heads;
        s.seed = c.lookup.seed + std::uint64_t(r);
        s.data.seed = c.lookup.data.seed + std::uint64_t(r);
        const studies::DictionaryLookupResult res = studies::run_dictionary_lookup(s);
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

// The WL table: 1-WL's verdict on each pair and each model's largest
// embedding difference over the seeds.
int run_wl(const ExperimentConfig& c) {
  const std::vector<std::string> models{
      "gat", "gatv2", "gcn", "gin", studies::kTransformer, studies::kTransformerLpe};
  const std::vector<studies::WlRow> rows = studies::run_wl_study(models, c.wl_seeds);
  if (c.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const studies::WlRow& r : rows) {
      list.push_back({{"pair", r.pair},
                      {"wl_indistinguishable", r.wl_indistinguishable},
                      {"largest_difference", r.largest_difference}});
    }
    const nlohmann::json j = {{"experiment", "wl"},
                              {"seeds", c.wl_seeds},
                              {"readout", "sum"},
                              {"layers", 3},
                              {"laplacian_k", studies::kWlLaplacianK},
                              {"results", list}};
    std::puts(j.dump(2).c_str());
    return 0;
  }
  fmt::print(
      "Largest |embedding(a) - embedding(b)| over {} random initialisations (3 layers, sum "
      "readout, double; every node's features alike; the transformers attend to all pairs, "
      "+lpe with {} Laplacian eigenvectors)\n",
      c.wl_seeds, studies::kWlLaplacianK);
  fmt::print("{:<26} {:>12}", "pair", "1-WL");
  for (const std::string& m : models) fmt::print(" {:>15}", m);
  fmt::print("\n");
  for (const studies::WlRow& r : rows) {
    fmt::print("{:<26} {:>12}", r.pair, r.wl_indistinguishable ? "same" : "tells apart");
    for (const std::string& m : models) fmt::print(" {:>15.2e}", r.largest_difference.at(m));
    fmt::print("\n");
  }
  return 0;
}

// The seminar's text experiment: every run as it ends, then per model and
// depth the test accuracy's mean, std, min and max over the seeds, and the
// seconds an epoch takes.
int run_ag_news(const ExperimentConfig& c) {
  const data::TextDataset dataset = data::read_ag_news(data::resolve_dataset(c.ag_news_data));
  studies::AgNewsOptions o = c.ag_news;
  std::copy(c.ag_news_split.begin(), c.ag_news_split.end(), o.split.begin());
  const int total = o.seeds * int(o.models.size() * o.depths.size());
  train::ProgressLine progress(stderr, total, o.training);
  if (!c.json) {
    fmt::print(
        "{}: {} documents, {} classes; per seed a stratified split {} / {} / {}, the first {} "
        "tokens, words seen >= {} times in training; width {} ({} heads), mean pooling, "
        "{} positions, {} transformer blocks, batch {}, dropout {}, Adam lr {}, <= {} epochs "
        "(patience {} on validation accuracy), {} thread(s)\n",
        dataset.name, dataset.size(), dataset.num_classes, o.split[0], o.split[1], o.split[2],
        o.max_tokens, o.min_count, o.width, o.heads, nn::name_of(o.positions),
        o.norm_first ? "pre-norm" : "post-norm", o.batch_size, o.dropout, o.training.adam.lr,
        o.training.max_epochs, o.training.patience, num_threads());
    fmt::print("{:<14} {:>6} {:>5} {:>10} {:>7} {:>6} {:>9}\n", "model", "layers", "seed",
               "test acc %", "epochs", "kept", "s/epoch");
    std::fflush(stdout);
  }
  const auto runs = studies::run_ag_news_study(
      dataset, o,
      [&](const studies::AgNewsRun& r) {
        progress.run_finished(r.seconds_per_epoch * r.epochs);
        if (c.json) return;
        progress.clear();
        fmt::print("{:<14} {:>6} {:>5} {:>10.2f} {:>7} {:>6} {:>9.2f}\n", r.model, r.layers, r.seed,
                   100 * r.test_accuracy, r.epochs, r.best_epoch, r.seconds_per_epoch);
        std::fflush(stdout);
      },
      [&](int run, const train::EpochReport& e) { progress.update(run, e); });
  progress.clear();
  nlohmann::json rows = nlohmann::json::array();
  if (!c.json) {
    fmt::print("\n{:<14} {:>6} {:>16} {:>8} {:>8} {:>9}\n", "model", "layers",
               "test acc % (mean +- std)", "min", "max", "s/epoch");
  }
  for (const std::string& m : o.models) {
    for (int layers : o.depths) {
      std::vector<double> acc, seconds, epochs;
      for (const studies::AgNewsRun& r : runs) {
        if (r.model != m || r.layers != layers) continue;
        acc.push_back(r.test_accuracy);
        seconds.push_back(r.seconds_per_epoch);
        epochs.push_back(r.epochs);
      }
      const train::MeanStd a = train::mean_std(acc);
      const double lo = *std::min_element(acc.begin(), acc.end());
      const double hi = *std::max_element(acc.begin(), acc.end());
      const double sec = train::mean_std(seconds).mean;
      rows.push_back({{"model", m},
                      {"layers", layers},
                      {"test_accuracy", acc},
                      {"mean", a.mean},
                      {"std", a.std},
                      {"min", lo},
                      {"max", hi},
                      {"seconds_per_epoch", sec},
                      {"epochs_mean", train::mean_std(epochs).mean}});
      if (!c.json) {
        fmt::print("{:<14} {:>6} {:>10.2f} +- {:<5.2f} {:>8.2f} {:>8.2f} {:>9.2f}\n", m, layers,
                   100 * a.mean, 100 * a.std, 100 * lo, 100 * hi, sec);
      }
    }
  }
  if (c.json) {
    const nlohmann::json j = {{"experiment", "ag-news"},
                              {"documents", dataset.size()},
                              {"split", o.split},
                              {"max_tokens", o.max_tokens},
                              {"min_count", o.min_count},
                              {"width", o.width},
                              {"heads", o.heads},
                              {"window", o.window},
                              {"positions", nn::name_of(o.positions)},
                              {"norm_first", o.norm_first},
                              {"batch_size", o.batch_size},
                              {"dropout", o.dropout},
                              {"lr", o.training.adam.lr},
                              {"max_epochs", o.training.max_epochs},
                              {"patience", o.training.patience},
                              {"seeds", o.seeds},
                              {"threads", num_threads()},
                              {"results", rows}};
    std::puts(j.dump(2).c_str());
  }
  return 0;
}

// Trains each chosen row over the seeds and prints mean +- std of the test
// accuracy, and for dense transformers the same weights' accuracy with the
// adjacency as their mask.
int run_transformer_study(const ExperimentConfig& config, const std::string& study) {
  const bool seminar = study == "transformers-are-gnns";
  ExperimentConfig c = config;
  if (c.study_runs == 0) c.study_runs = seminar ? 10 : 3;
  const data::Dataset dataset = data::load(c.source);
  std::vector<studies::StudyModel> models =
      seminar ? studies::seminar_models(c.transformer, dataset)
              : studies::weight_transfer_models(c.transformer, dataset);
  if (!c.rows.empty()) {
    std::vector<studies::StudyModel> chosen;
    for (const std::string& key : c.rows) {
      bool found = false;
      for (const studies::StudyModel& m : models) {
        if (m.key == key) {
          chosen.push_back(m);
          found = true;
        }
      }
      if (!found) {
        std::string keys;
        for (const studies::StudyModel& m : models) keys += (keys.empty() ? "" : ", ") + m.key;
        throw Error("experiment " + study + ": no row '" + key + "' (rows: " + keys + ")");
      }
    }
    models = std::move(chosen);
  }
  if (!c.json) {
    fmt::print("{} on {}: {} run(s) per row (seeds {}..{}), at most {} epochs, patience {}\n",
               study, dataset.name, c.study_runs, c.seed, c.seed + std::uint64_t(c.study_runs) - 1,
               c.transformer.training.max_epochs, c.transformer.training.patience);
    fmt::print("{:<44} {:>16} {:>18} {:>7} {:>9}\n", "model", "test acc %", "masked test acc %",
               "epochs", "s / run");
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const studies::StudyModel& m : models) {
    std::vector<double> test, masked, epochs, seconds;
    nlohmann::json runs = nlohmann::json::array();
    for (int r = 0; r < c.study_runs; ++r) {
      const studies::StudyRun run =
          studies::run_study_model(m, dataset, c.transformer.training, c.seed + std::uint64_t(r));
      test.push_back(run.fit.test_accuracy);
      epochs.push_back(run.fit.epochs_run);
      seconds.push_back(run.fit.seconds);
      nlohmann::json j = {{"seed", run.seed},
                          {"test_accuracy", run.fit.test_accuracy},
                          {"val_accuracy", run.fit.val_accuracy},
                          {"epochs", run.fit.epochs_run},
                          {"best_epoch", run.fit.best_epoch},
                          {"seconds", run.fit.seconds}};
      if (run.masked_test_accuracy) {
        masked.push_back(*run.masked_test_accuracy);
        j["masked_test_accuracy"] = *run.masked_test_accuracy;
      }
      runs.push_back(j);
    }
    const train::MeanStd t = train::mean_std(test);
    nlohmann::json row = {{"key", m.key},        {"model", m.label},  {"spec", m.spec},
                          {"test_mean", t.mean}, {"test_std", t.std}, {"runs", runs}};
    std::string masked_text = "-";
    if (!masked.empty()) {
      const train::MeanStd mm = train::mean_std(masked);
      row["masked_test_mean"] = mm.mean;
      row["masked_test_std"] = mm.std;
      masked_text = fmt::format("{:.2f} +- {:.2f}", 100 * mm.mean, 100 * mm.std);
    }
    rows.push_back(row);
    if (!c.json) {
      fmt::print("{:<44} {:>7.2f} +- {:<5.2f} {:>18} {:>7.0f} {:>9.1f}\n", m.label, 100 * t.mean,
                 100 * t.std, masked_text, train::mean_std(epochs).mean,
                 train::mean_std(seconds).mean);
      std::fflush(stdout);
    }
  }
  if (c.json) {
    const nlohmann::json j = {{"experiment", study},
                              {"dataset", dataset.name},
                              {"runs", c.study_runs},
                              {"seed", c.seed},
                              {"max_epochs", c.transformer.training.max_epochs},
                              {"patience", c.transformer.training.patience},
                              {"lr", c.transformer.training.adam.lr},
                              {"weight_decay", c.transformer.training.adam.weight_decay},
                              {"threads", num_threads()},
                              {"results", rows}};
    std::puts(j.dump(2).c_str());
  }
  return 0;
}

// Both studies share the config; the default of --runs differs, so it is
// applied when the study runs (0: not given).
void add_transformer_study_options(CLI::App& cmd, ExperimentConfig& c, int default_runs) {
  add_dataset_options(cmd, c.source);
  cmd.add_option("--rows", c.rows, "Rows to run, by key, comma-separated (default: all)")
      ->delimiter(',');
  cmd.add_option("--runs", c.study_runs,
                 "Runs per row (seed, seed + 1, ...); default " + std::to_string(default_runs))
      ->check(CLI::Range(1, 1000));
  cmd.add_option("--seed", c.seed, "Seed of the first run")->capture_default_str();
  cmd.add_option("--layers", c.transformer.layers, "Layers of every model")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd.add_option("--heads", c.transformer.heads, "Transformer heads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd.add_option("--width", c.transformer.width, "Transformer width (heads x features per head)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd.add_option("--lpe", c.transformer.laplacian_k, "Laplacian encodings of the + LPE rows")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd.add_option("--norm-first", c.transformer.norm_first,
                 "Transformer blocks pre-norm (true) or post-norm (false)")
      ->capture_default_str();
  cmd.add_option("--dropout", c.transformer.dropout, "Transformer dropout")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.999));
  cmd.add_option("--lr", c.transformer.training.adam.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(positive_number());
  cmd.add_option("--epochs", c.transformer.training.max_epochs, "Most epochs per run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd.add_option("--patience", c.transformer.training.patience,
                 "Stop after this many epochs without a better validation loss or accuracy")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd.add_option("--threads", c.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd.add_flag("--json", c.json, "Write results as JSON to stdout");
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
      ->check(one_of_names(attention_convs()));
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

  CLI::App* seminar = cmd->add_subcommand(
      "transformers-are-gnns",
      "The seminar's study: a deep GAT against transformers on all pairs with and without "
      "Laplacian encodings and a GraphGPS-style graph transformer; test accuracy over seeds "
      "(rows: gat, gat-res-ln, transformer-lpe, transformer, graphgps-lpe, edges-lpe)");
  add_transformer_study_options(*seminar, c, 10);
  CLI::App* transfer = cmd->add_subcommand(
      "weight-transfer",
      "Transformers trained on all pairs, scored as trained and again with the same weights "
      "and the adjacency as the attention mask (rows: transformer, transformer-lpe)");
  add_transformer_study_options(*transfer, c, 3);
  CLI::App* wl = cmd->add_subcommand(
      "wl",
      "The WL bound: pairs of graphs 1-WL cannot tell apart (6-cycle / two triangles, decalin / "
      "bicyclopentyl, cube / Wagner graph) and pairs it separates, with how far apart GAT, "
      "GATv2, GCN and GIN (sum readout) embed each pair");
  wl->add_option("--seeds", c.wl_seeds, "Random initialisations per model")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  wl->add_flag("--json", c.json, "Write results as JSON to stdout");

  CLI::App* news = cmd->add_subcommand(
      "ag-news",
      "The seminar's text experiment: AG News documents as token graphs, GAT on the complete "
      "graph against a transformer encoder and GAT on a sliding window, at the same width and "
      "depth; test accuracy over seeds and seconds per epoch");
  studies::AgNewsOptions& n = c.ag_news;
  news->add_option("--data", c.ag_news_data, "AG News folder or name")->capture_default_str();
  news->add_option("--seeds", n.seeds, "Seeds (split, vocabulary, initialisation): 0 .. N - 1")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  news->add_option("--models", n.models, "Models: gat-complete, transformer, gat-window")
      ->delimiter(',')
      ->check(CLI::IsMember({"gat-complete", "transformer", "gat-window"}));
  news->add_option("--layers", n.depths, "Depths to run, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(1, 64));
  news->add_option("--split", c.ag_news_split, "Documents to train, validate and test on")
      ->expected(3)
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40));
  news->add_option("--max-tokens", n.max_tokens, "Tokens kept of each document")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  news->add_option("--min-count", n.min_count, "Training occurrences a word needs")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  news->add_option("--width", n.width, "Width of every model (heads x features per head)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  news->add_option("--heads", n.heads, "Attention heads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  news->add_option("--window", n.window, "Window of the window graph, each side")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  add_enum_option(*news, "--positions", n.positions, "Token positions");
  news->add_flag("--norm-first", n.norm_first, "Pre-norm transformer blocks (default post-norm)");
  news->add_option("--batch-size", n.batch_size, "Documents a batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  news->add_option("--dropout", n.dropout, "Dropout (features and attention)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.999));
  news->add_option("--lr", n.training.adam.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(positive_number());
  news->add_option("--epochs", n.training.max_epochs, "Most epochs per run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  news->add_option("--patience", n.training.patience,
                   "Stop after this many epochs without a better validation accuracy")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  news->add_option("--threads", c.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  news->add_flag("--json", c.json, "Write results as JSON to stdout");
  return cmd;
}

int run_experiment(const CLI::App& command, const ExperimentConfig& c) {
  if (c.threads > 0) set_num_threads(c.threads);
  if (command.got_subcommand("dictionary-lookup")) return run_dictionary_lookup(c);
  if (command.got_subcommand("wl")) return run_wl(c);
  if (command.got_subcommand("ag-news")) return run_ag_news(c);
  for (const char* study : {"transformers-are-gnns", "weight-transfer"}) {
    if (command.got_subcommand(study)) return run_transformer_study(c, study);
  }
  return 1;
}

}  // namespace heed::cli
