#include "train_command.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "heed/data/dataset.hpp"
#include "heed/nn/gatv2.hpp"
#include "heed/nn/gcn.hpp"
#include "heed/nn/graph_sage.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/train/metrics.hpp"
#include "heed/train/progress.hpp"

namespace heed::cli {

CLI::App* add_train_command(CLI::App& app, TrainConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train GAT for node classification: repeated runs, test accuracy of each and mean +- std");
  cmd->add_option("--data", c.data,
                  "Dataset folder or name (looked up in $HEED_DATA, then ../shared/data); "
                  "without it, a synthetic graph");
  cmd->add_option("--split", c.training.split, "Named split of the dataset")->capture_default_str();
  cmd->add_option("--runs", c.runs, "Number of runs; run r uses seed + r")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", c.seed, "Seed of the first run")->capture_default_str();
  cmd->add_option("--threads", c.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("--normalise-features,!--no-normalise-features", c.normalise_features,
                "Divide each feature row by its sum (real datasets)")
      ->capture_default_str();
  cmd->add_flag("--json", c.json, "Write results as JSON to stdout");

  cmd->add_option("--model", c.model_name,
                  "gat (Velickovic et al.), gatv2 (Brody et al.), gcn (Kipf and Welling) or sage "
                  "(GraphSAGE-mean); gcn and sage default to the GCN paper's hidden 16, dropout "
                  "0.5, lr 0.01, 200 epochs")
      ->capture_default_str()
      ->check(CLI::IsMember({"gat", "gatv2", "gcn", "sage"}))
      ->group("Model");
  auto positive = CLI::Range(1, 1 << 20);
  auto probability = CLI::Range(0.0, 0.999);
  cmd->add_option("--heads", c.model.heads, "Hidden-layer attention heads")
      ->capture_default_str()
      ->check(positive)
      ->group("Model");
  cmd->add_option("--hidden", c.model.hidden_channels, "Features per hidden head")
      ->capture_default_str()
      ->check(positive)
      ->group("Model");
  cmd->add_option("--output-heads", c.model.output_heads, "Output-layer heads (averaged)")
      ->capture_default_str()
      ->check(positive)
      ->group("Model");
  cmd->add_option("--dropout", c.model.dropout, "Dropout on each layer's input")
      ->capture_default_str()
      ->check(probability)
      ->group("Model");
  cmd->add_option("--attention-dropout", c.model.attention_dropout,
                  "Dropout on attention coefficients (default: --dropout)")
      ->check(probability)
      ->group("Model");
  cmd->add_option_function<std::string>(
         "--feature-dropout",
         [&c](const std::string& v) {
           c.model.feature_dropout =
               v == "layer-input" ? nn::FeatureDropout::kLayerInput : nn::FeatureDropout::kPerHead;
         },
         "Where feature dropout acts: per-head (the GAT authors' code: each head's input and its "
         "projected features) or layer-input (PyG's example)")
      ->check(CLI::IsMember({"per-head", "layer-input"}))
      ->default_str("per-head")
      ->group("Model");
  cmd->add_option("--negative-slope", c.model.negative_slope, "LeakyReLU slope")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group("Model");

  cmd->add_option("--lr", c.training.adam.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group("Optimisation");
  cmd->add_option("--weight-decay", c.training.adam.weight_decay, "L2 weight decay (not on biases)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group("Optimisation");
  cmd->add_option("--epochs", c.training.max_epochs, "Most epochs per run")
      ->capture_default_str()
      ->check(positive)
      ->group("Optimisation");
  cmd->add_option("--patience", c.training.patience,
                  "Stop after this many epochs without a better validation loss or accuracy")
      ->capture_default_str()
      ->check(positive)
      ->group("Optimisation");

  const char* syn = "Synthetic graph (no --data)";
  cmd->add_option("--nodes", c.synthetic.nodes, "Nodes")
      ->capture_default_str()
      ->check(CLI::Range(10, 100000000))
      ->group(syn);
  cmd->add_option("--classes", c.synthetic.classes, "Classes")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000))
      ->group(syn);
  cmd->add_option("--features", c.synthetic.features, "Features per node")
      ->capture_default_str()
      ->check(positive)
      ->group(syn);
  cmd->add_option("--avg-degree", c.synthetic.avg_degree, "Average degree")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10000.0))
      ->group(syn);
  cmd->add_option("--homophily", c.synthetic.homophily, "Share of edges within a class")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(syn);
  cmd->add_option("--signal", c.synthetic.signal, "Spread of class means (noise std is 1)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group(syn);

  cmd->final_callback([cmd, &c] {
    // The GCN paper's settings for the baselines, where not given.
    if (c.model_name == "gcn" || c.model_name == "sage") {
      if (cmd->count("--hidden") == 0) c.model.hidden_channels = 16;
      if (cmd->count("--dropout") == 0) c.model.dropout = 0.5;
      if (cmd->count("--lr") == 0) c.training.adam.lr = 0.01;
      if (cmd->count("--epochs") == 0) c.training.max_epochs = 200;
    }
    // The attention dropout follows --dropout unless given itself.
    if (cmd->count("--attention-dropout") == 0) c.model.attention_dropout = c.model.dropout;
  });
  return cmd;
}

namespace {

std::unique_ptr<nn::NodeModel<float>> make_model(const std::string& name, const nn::GATOptions& o,
                                                 Rng& rng) {
  if (name == "gatv2") return std::make_unique<nn::GATv2<float>>(o, rng);
  if (name == "gcn") {
    return std::make_unique<nn::GCN<float>>(
        nn::GCNOptions{o.in_channels, o.hidden_channels, o.out_channels, o.dropout}, rng);
  }
  if (name == "sage") {
    return std::make_unique<nn::GraphSAGE<float>>(
        nn::GraphSAGEOptions{o.in_channels, o.hidden_channels, o.out_channels, o.dropout}, rng);
  }
  return std::make_unique<nn::GAT<float>>(o, rng);
}

struct RunRecord {
  std::uint64_t seed;
  train::FitResult fit;
};

void print_text(const data::Dataset& d, const TrainConfig& c, const std::vector<RunRecord>& runs,
                const train::MeanStd& acc, double wall) {
  fmt::print("{}: {} nodes, {} edges, {} features, {} classes\n", d.name, d.num_nodes(),
             d.graph.num_edges(), d.num_features(), d.num_classes);
  if (c.model_name == "gat" || c.model_name == "gatv2") {
    fmt::print("{}: {} heads x {} hidden, {} output head(s), dropout {}\n", c.model_name,
               c.model.heads, c.model.hidden_channels, c.model.output_heads, c.model.dropout);
  } else {
    fmt::print("{}: {} hidden, dropout {}\n", c.model_name, c.model.hidden_channels,
               c.model.dropout);
  }
  fmt::print("{:<6} {:>9} {:>9} {:>7} {:>5} {:>8}\n", "seed", "test acc", "val acc", "epochs",
             "kept", "seconds");
  for (const RunRecord& r : runs) {
    fmt::print("{:<6} {:>9.4f} {:>9.4f} {:>7} {:>5} {:>8.2f}\n", r.seed, r.fit.test_accuracy,
               r.fit.val_accuracy, r.fit.epochs_run, r.fit.best_epoch, r.fit.seconds);
  }
  fmt::print("test accuracy: {:.2f} +- {:.2f} % over {} run(s), {:.1f} s\n", 100 * acc.mean,
             100 * acc.std, runs.size(), wall);
}

nlohmann::json to_json(const data::Dataset& d, const TrainConfig& c,
                       const std::vector<RunRecord>& runs, const train::MeanStd& acc, double wall) {
  nlohmann::json j;
  j["dataset"] = d.name;
  j["model"] = c.model_name;
  j["config"] = {
      {"heads", c.model.heads},
      {"hidden", c.model.hidden_channels},
      {"output_heads", c.model.output_heads},
      {"dropout", c.model.dropout},
      {"attention_dropout", c.model.attention_dropout},
      {"negative_slope", c.model.negative_slope},
      {"feature_dropout",
       c.model.feature_dropout == nn::FeatureDropout::kPerHead ? "per-head" : "layer-input"},
      {"lr", c.training.adam.lr},
      {"weight_decay", c.training.adam.weight_decay},
      {"max_epochs", c.training.max_epochs},
      {"patience", c.training.patience},
      {"split", c.training.split},
      {"normalise_features", c.data && c.normalise_features},
      {"seed", c.seed},
      {"threads", num_threads()}};
  j["graph"] = {{"nodes", d.num_nodes()},
                {"edges", d.graph.num_edges()},
                {"features", d.num_features()},
                {"classes", d.num_classes}};
  nlohmann::json list = nlohmann::json::array();
  std::vector<double> accs;
  for (const RunRecord& r : runs) {
    list.push_back({{"seed", r.seed},
                    {"test_accuracy", r.fit.test_accuracy},
                    {"val_accuracy", r.fit.val_accuracy},
                    {"val_loss", r.fit.val_loss},
                    {"epochs", r.fit.epochs_run},
                    {"best_epoch", r.fit.best_epoch},
                    {"seconds", r.fit.seconds}});
    accs.push_back(r.fit.test_accuracy);
  }
  j["runs"] = list;
  j["test_accuracy"] = accs;
  j["mean"] = acc.mean;
  j["std"] = acc.std;
  j["wall_seconds"] = wall;
  return j;
}

}  // namespace

int run_train(const TrainConfig& c) {
  const auto start = std::chrono::steady_clock::now();
  if (c.threads > 0) set_num_threads(c.threads);

  data::Dataset dataset;
  if (c.data) {
    dataset = data::load_dataset(*c.data, data::LoadOptions{c.normalise_features});
  } else {
    data::SyntheticOptions s = c.synthetic;
    s.seed = c.seed;
    dataset = data::make_csbm(s);
  }

  nn::GATOptions model = c.model;
  model.in_channels = dataset.num_features();
  model.out_channels = dataset.num_classes;

  train::ProgressLine progress(stderr, c.runs, c.training);
  std::vector<RunRecord> runs;
  std::vector<double> accs;
  for (int r = 0; r < c.runs; ++r) {
    const std::uint64_t seed = c.seed + std::uint64_t(r);
    Rng rng(seed);
    std::unique_ptr<nn::NodeModel<float>> net = make_model(c.model_name, model, rng);
    train::FitResult fit = train::fit(*net, dataset, c.training, rng,
                                      [&](const train::EpochReport& e) { progress.update(r, e); });
    progress.run_finished(fit.seconds);
    runs.push_back({seed, fit});
    accs.push_back(fit.test_accuracy);
  }
  progress.clear();

  const train::MeanStd acc = train::mean_std(accs);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (c.json) {
    std::puts(to_json(dataset, c, runs, acc, wall).dump(2).c_str());
  } else {
    print_text(dataset, c, runs, acc, wall);
  }
  return 0;
}

}  // namespace heed::cli
