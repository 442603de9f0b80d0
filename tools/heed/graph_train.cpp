#include "graph_train.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "heed/data/graph_dataset.hpp"
#include "heed/data/graph_splits.hpp"
#include "heed/error.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/nn/model.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/train/checkpoint.hpp"
#include "heed/train/graph_batch_source.hpp"
#include "heed/train/progress.hpp"
#include "run_summary.hpp"

namespace heed::cli {
namespace {

struct GraphRun {
  std::uint64_t seed;
  int fold;  // -1 without cross-validation
  train::FitResult fit;
};

// What a node-level flag cannot mean here is an error, not silently ignored.
void reject_node_only_flags(const TrainConfig& c) {
  for (const char* flag : {"--split", "--checkpoint", "--resume", "--smoothness",
                           "--feature-dropout", "--checkpoint-every"}) {
    if (c.given.count(flag)) {
      throw Error(std::string(flag) + " is not available for whole-graph datasets yet");
    }
  }
}

// The whole-graph defaults where a setting was not given: the GIN paper's
// width and learning rate, its 350 epochs bounding runs that early stopping
// (on the validation loss) usually ends first, and no dropout.
void apply_graph_defaults(TrainConfig& c, const data::GraphDataset& d) {
  nn::ModelSpec& s = c.spec;
  if (!c.given.count("--hidden"))
    s.hidden_channels = s.is_transformer() || nn::conv_info(s.model).traits.multi_head ? 8 : 64;
  if (!c.given.count("--dropout")) s.dropout = 0;
  if (!c.given.count("--attention-dropout")) s.attention_dropout = s.dropout;
  if (!c.given.count("--lr")) c.training.adam.lr = 0.01;
  if (!c.given.count("--weight-decay")) c.training.adam.weight_decay = 0;
  if (!c.given.count("--epochs")) c.training.max_epochs = 350;
  if (!c.given.count("--select")) c.training.select = "loss";
  if (!c.given.count("--readout")) {
    s.readout = s.model == "gin" ? nn::Readout::kSum : nn::Readout::kMean;
  }
  s.in_channels = int(d.x.cols());
  s.out_channels = d.is_regression() ? int(d.values.cols()) : d.num_classes;
  // Edge features go to the convs that take them.
  if (!s.is_transformer() && nn::conv_info(s.model).traits.edge_features) {
    s.edge_dim = int(d.edge_attr.cols());
  }
  s.validate();
}

std::vector<std::pair<int, data::GraphParts>> splits_of(const TrainConfig& c,
                                                        const data::GraphDataset& d,
                                                        std::uint64_t seed) {
  std::vector<std::pair<int, data::GraphParts>> out;
  if (c.folds > 0) {
    if (d.is_regression()) {
      throw Error(d.name +
                  ": --folds stratifies by class; a regression dataset takes random "
                  "splits (--runs)");
    }
    auto folds = data::stratified_folds(d.classes, c.folds, seed);
    for (std::size_t k = 0; k < folds.size(); ++k) out.emplace_back(int(k), std::move(folds[k]));
  } else {
    out.emplace_back(-1, data::random_split(d.num_graphs(), {0.8, 0.1, 0.1}, seed));
  }
  return out;
}

std::string describe(const nn::ModelSpec& s, int batch_size) {
  const bool heads = s.is_transformer() || nn::conv_info(s.model).traits.multi_head;
  return fmt::format(
      "{}: {} layers, {}{} hidden, {}{} readout, dropout {}, batch {}", s.model, s.layers,
      heads ? fmt::format("{} heads x ", s.heads) : "", s.hidden_channels,
      s.norm == nn::Normalisation::kNone ? "" : fmt::format("{} norm, ", nn::name_of(s.norm)),
      nn::name_of(s.readout), s.dropout, batch_size);
}

void print_text(const data::GraphDataset& d, const TrainConfig& c,
                const std::vector<GraphRun>& runs, double wall, std::size_t skipped) {
  fmt::print("{}: {} graphs, {} nodes, {} edges, {} features, {} edge features, {}\n", d.name,
             d.num_graphs(), d.graphs.graph.num_nodes(), d.graphs.graph.num_edges(), d.x.cols(),
             d.edge_attr.cols(),
             d.is_regression() ? fmt::format("{} target(s)", d.values.cols())
                               : fmt::format("{} classes", d.num_classes));
  if (skipped) fmt::print("skipped {} molecule(s) RDKit rejected\n", skipped);
  fmt::print("{}\n", describe(c.spec, c.batch_size));
  const std::string metric = d.is_regression() ? std::string("rmse") : std::string("accuracy");
  fmt::print("{:<6} {:>5} {:>10} {:>10} {:>7} {:>5} {:>8}\n", "seed", "fold", "test " + metric,
             "val " + metric, "epochs", "kept", "seconds");
  for (const GraphRun& r : runs) {
    fmt::print("{:<6} {:>5} {:>10.4f} {:>10.4f} {:>7} {:>5} {:>8.2f}\n", r.seed,
               r.fold < 0 ? std::string("-") : std::to_string(r.fold),
               r.fit.metrics.at("test").at(metric), r.fit.metrics.at("valid").at(metric),
               r.fit.epochs_run, r.fit.best_epoch, r.fit.seconds);
  }
  RunValues values;
  for (const GraphRun& r : runs) add_run(values, r.fit.metrics);
  std::string line;
  for (const auto& [name, v] : values.at("test")) {
    if (name == "loss") continue;
    const train::MeanStd m = train::mean_std(v);
    line += fmt::format("{}{} {:.4f} +- {:.4f}", line.empty() ? "" : ", ", name, m.mean, m.std);
  }
  fmt::print("test metrics over {} run(s){}: {}\n", runs.size(),
             c.folds > 0 ? fmt::format(" ({} seed(s) x {} folds)", c.runs, c.folds) : "", line);
  if (c.folds > 0) {
    // The GIN paper's figure: each seed's mean over its folds.
    for (int s = 0; s < c.runs; ++s) {
      std::vector<double> acc;
      for (const GraphRun& r : runs) {
        if (r.seed == c.seed + std::uint64_t(s)) acc.push_back(r.fit.metrics.at("test").at(metric));
      }
      const train::MeanStd m = train::mean_std(acc);
      fmt::print("seed {}: test {} {:.2f} +- {:.2f} % over {} folds\n", c.seed + std::uint64_t(s),
                 metric, 100 * m.mean, 100 * m.std, acc.size());
    }
  }
  fmt::print("{:.1f} s\n", wall);
}

nlohmann::json to_json(const data::GraphDataset& d, const TrainConfig& c,
                       const std::vector<GraphRun>& runs, double wall, std::size_t skipped) {
  nlohmann::json j;
  j["dataset"] = d.name;
  j["model"] = c.spec.model;
  nlohmann::json config = c.spec;
  config.update({{"lr", c.training.adam.lr},
                 {"weight_decay", c.training.adam.weight_decay},
                 {"max_epochs", c.training.max_epochs},
                 {"patience", c.training.patience},
                 {"select", c.training.select},
                 {"lr_step", c.training.lr_step},
                 {"lr_decay", c.training.lr_decay},
                 {"batch_size", c.batch_size},
                 {"folds", c.folds},
                 {"seed", c.seed},
                 {"threads", num_threads()}});
  j["config"] = config;
  nlohmann::json graph = {{"graphs", d.num_graphs()},
                          {"nodes", d.graphs.graph.num_nodes()},
                          {"edges", d.graphs.graph.num_edges()},
                          {"features", d.x.cols()},
                          {"edge_features", d.edge_attr.cols()}};
  if (d.is_regression()) {
    graph["targets"] = d.values.cols();
  } else {
    graph["classes"] = d.num_classes;
  }
  if (skipped) graph["skipped_invalid"] = skipped;
  j["graph"] = graph;
  nlohmann::json list = nlohmann::json::array();
  RunValues values;
  std::vector<double> accs;
  for (const GraphRun& r : runs) {
    nlohmann::json run = {{"seed", r.seed},
                          {"val_loss", r.fit.val_loss},
                          {"epochs", r.fit.epochs_run},
                          {"best_epoch", r.fit.best_epoch},
                          {"seconds", r.fit.seconds},
                          {"metrics", run_metrics_json(r.fit.metrics)}};
    if (r.fold >= 0) run["fold"] = r.fold;
    if (!d.is_regression()) {
      run["test_accuracy"] = r.fit.test_accuracy;
      run["val_accuracy"] = r.fit.val_accuracy;
      accs.push_back(r.fit.test_accuracy);
    }
    list.push_back(run);
    add_run(values, r.fit.metrics);
  }
  j["runs"] = list;
  j["metrics"] = metrics_json(values);
  if (!d.is_regression()) {
    const train::MeanStd acc = train::mean_std(accs);
    j["test_accuracy"] = accs;
    j["mean"] = acc.mean;
    j["std"] = acc.std;
  }
  if (c.save) j["saved"] = *c.save;
  j["wall_seconds"] = wall;
  return j;
}

// The validation score --save keeps the best of: accuracy, or minus the RMSE.
double validation_score(const data::GraphDataset& d, const train::FitResult& fit) {
  return d.is_regression() ? -fit.metrics.at("valid").at("rmse") : fit.val_accuracy;
}

// What `heed explain --graph` needs to find the graphs again and say which
// part each was in; the scores are for the reader.
std::string graph_model_metadata(const data::GraphDataset& d, const TrainConfig& c,
                                 const std::filesystem::path& dir, std::uint64_t seed, int fold,
                                 const data::GraphParts& parts, const train::FitResult& fit) {
  nlohmann::json j = {{"task", "graph"},
                      {"dataset", d.name},
                      {"graph_data", std::filesystem::absolute(dir).string()},
                      {"skip_invalid", c.skip_invalid},
                      {"seed", seed},
                      {"parts", {{"train", parts[0]}, {"valid", parts[1]}, {"test", parts[2]}}},
                      {"epochs", fit.epochs_run},
                      {"best_epoch", fit.best_epoch},
                      {"metrics", fit.metrics}};
  if (fold >= 0) j["fold"] = fold;
  return j.dump();
}

}  // namespace

int run_graph_train(const TrainConfig& config, const std::filesystem::path& dir) {
  const auto start = std::chrono::steady_clock::now();
  TrainConfig c = config;
  reject_node_only_flags(c);
  data::GraphReadOptions read;
  read.skip_invalid = c.skip_invalid;
  const data::GraphDataset dataset = data::read_graph_dataset(dir, read);
  apply_graph_defaults(c, dataset);

  std::vector<std::pair<std::uint64_t, std::vector<std::pair<int, data::GraphParts>>>> plan;
  int total = 0;
  for (int r = 0; r < c.runs; ++r) {
    const std::uint64_t seed = c.seed + std::uint64_t(r);
    plan.emplace_back(seed, splits_of(c, dataset, seed));
    total += int(plan.back().second.size());
  }
  train::ProgressLine progress(stderr, total, c.training);
  std::vector<GraphRun> runs;
  std::optional<train::Checkpoint> best;
  double best_score = 0;
  for (auto& [seed, splits] : plan) {
    for (auto& [fold, parts] : splits) {
      // Each fold's model starts from its own draw of the seed.
      Rng rng(fold < 0 ? seed : derive_key(seed, std::uint64_t(fold)));
      const data::GraphParts kept_parts = c.save ? parts : data::GraphParts{};
      train::GraphBatchSource source(dataset, c.spec, std::move(parts), c.batch_size);
      auto model = nn::make_model<float>(c.spec, rng);
      const int index = int(runs.size());
      train::FitResult fit =
          train::fit(*model, source, c.training, rng,
                     [&](const train::EpochReport& e) { progress.update(index, e); });
      progress.run_finished(fit.seconds);
      if (c.save && (!best || validation_score(dataset, fit) > best_score)) {
        best_score = validation_score(dataset, fit);
        best = train::make_checkpoint(
            *model, graph_model_metadata(dataset, c, dir, seed, fold, kept_parts, fit));
      }
      runs.push_back({seed, fold, std::move(fit)});
    }
  }
  progress.clear();
  if (best) train::save_checkpoint(*c.save, *best);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (c.json) {
    std::puts(to_json(dataset, c, runs, wall, dataset.skipped_invalid).dump(2).c_str());
  } else {
    print_text(dataset, c, runs, wall, dataset.skipped_invalid);
    if (best) fmt::print("saved the model with the best validation score to {}\n", *c.save);
  }
  return 0;
}

}  // namespace heed::cli
