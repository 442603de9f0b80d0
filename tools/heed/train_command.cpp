#include "train_command.hpp"

#include <fmt/core.h>

#include "flag_checks.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "heed/data/dataset.hpp"
#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/train/checkpoint.hpp"
#include "heed/train/metrics.hpp"
#include "heed/train/progress.hpp"

namespace heed::cli {

CLI::App* add_train_command(CLI::App& app, TrainConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a node classifier (GAT, GATv2, GCN, GraphSAGE-mean, deep stacks): repeated runs, "
      "test accuracy of each and mean +- std");
  add_dataset_options(*cmd, c.source);
  cmd->add_option("--split", c.training.split, "Named split of the dataset")->capture_default_str();
  cmd->add_option("--runs", c.runs, "Number of runs; run r uses seed + r")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", c.seed, "Seed of the first run")->capture_default_str();
  cmd->add_option("--threads", c.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("--json", c.json, "Write results as JSON to stdout");
  cmd->add_option("--save", c.save,
                  "Write the model of the run with the best validation accuracy to this "
                  "checkpoint file (for heed eval, attention and explain)");
  cmd->add_option("--checkpoint", c.checkpoint,
                  "Save the run's training state to this file every --checkpoint-every epochs "
                  "(with --runs 1), for --resume")
      ->group("Checkpoints");
  cmd->add_option("--checkpoint-every", c.checkpoint_every, "Epochs between training states")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30))
      ->group("Checkpoints");
  cmd->add_option("--resume", c.resume,
                  "Continue the run whose training state this file holds, with the settings "
                  "saved in it; it reaches the same result as a run never interrupted (same "
                  "--threads)")
      ->group("Checkpoints");
  cmd->add_flag("--smoothness", c.training.measure_smoothness,
                "Report the mean pairwise distance and Dirichlet energy of the last hidden layer "
                "(over-smoothing)");

  cmd->add_option("--model", c.model_name,
                  "gat (Velickovic et al.), gatv2 (Brody et al.), gcn (Kipf and Welling), sage "
                  "(GraphSAGE-mean) or transformer (post-norm blocks, width heads x hidden, "
                  "attention as --attention says); gcn and sage default to the GCN paper's hidden "
                  "16, dropout 0.5, lr 0.01, 200 epochs")
      ->capture_default_str()
      ->check(CLI::IsMember({"gat", "gatv2", "gcn", "sage", "transformer"}))
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
  cmd->add_option("--layers", c.layers,
                  "Message-passing layers; other than 2, or with --residual or --norm, the model "
                  "is a stack of hidden layers of the chosen kind")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024))
      ->group("Model");
  cmd->add_flag("--residual", c.residual,
                "Residual connections around hidden layers after the first")
      ->group("Model");
  cmd->add_option("--norm", c.norm, "Normalisation after each hidden layer: none or layer")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "layer"}))
      ->group("Model");
  cmd->add_option("--attention", c.attention,
                  "transformer: graph (on the edges, sparse), dense-masked (N x N, masked by the "
                  "adjacency), dense (all pairs) or graph+dense (both, summed: GraphGPS)")
      ->capture_default_str()
      ->check(CLI::IsMember({"graph", "dense-masked", "dense", "graph+dense"}))
      ->group("Model");
  cmd->add_option("--ffn-hidden", c.ffn_hidden,
                  "transformer: feed-forward width (0: twice the model width)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20))
      ->group("Model");
  cmd->add_flag("--norm-first", c.norm_first,
                "transformer: pre-norm blocks (LayerNorm before attention and FFN, one at the "
                "end), which train at depth where post-norm ones collapse")
      ->group("Model");
  cmd->add_option("--lpe", c.laplacian_k,
                  "transformer: Laplacian positional encodings, the K eigenvectors of the "
                  "normalised Laplacian with the smallest non-zero eigenvalues, signs flipped at "
                  "random in training (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 16))
      ->group("Model");
  cmd->add_option("--negative-slope", c.model.negative_slope, "LeakyReLU slope")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group("Model");

  cmd->add_option("--lr", c.training.adam.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(positive_number())
      ->group("Optimisation");
  cmd->add_option("--weight-decay", c.training.adam.weight_decay, "L2 weight decay (not on biases)")
      ->capture_default_str()
      ->check(non_negative_number())
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
  cmd->add_option("--nodes", c.source.synthetic.nodes, "Nodes")
      ->capture_default_str()
      ->check(CLI::Range(10, 100000000))
      ->group(syn);
  cmd->add_option("--classes", c.source.synthetic.classes, "Classes")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000))
      ->group(syn);
  cmd->add_option("--features", c.source.synthetic.features, "Features per node")
      ->capture_default_str()
      ->check(positive)
      ->group(syn);
  cmd->add_option("--avg-degree", c.source.synthetic.avg_degree, "Average degree")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10000.0))
      ->group(syn);
  cmd->add_option("--homophily", c.source.synthetic.homophily, "Share of edges within a class")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(syn);
  cmd->add_option("--signal", c.source.synthetic.signal, "Spread of class means (noise std is 1)")
      ->capture_default_str()
      ->check(non_negative_number())
      ->group(syn);

  cmd->final_callback([cmd, &c] {
    // The GCN paper's settings for the baselines, where not given.
    if (c.model_name == "gcn" || c.model_name == "sage") {
      if (cmd->count("--hidden") == 0) c.model.hidden_channels = 16;
      if (cmd->count("--dropout") == 0) c.model.dropout = 0.5;
      if (cmd->count("--lr") == 0) c.training.adam.lr = 0.01;
      if (cmd->count("--epochs") == 0) c.training.max_epochs = 200;
    }
    for (const char* flag : {"--attention", "--ffn-hidden", "--lpe", "--norm-first"}) {
      if (c.model_name != "transformer" && cmd->count(flag) > 0) {
        throw CLI::ValidationError(flag, std::string("applies to --model transformer only"));
      }
    }
    // The attention dropout follows --dropout unless given itself.
    if (cmd->count("--attention-dropout") == 0) c.model.attention_dropout = c.model.dropout;
    if (c.resume) {
      // The run's settings come from the file; a flag that would change
      // them is an error rather than silently ignored.
      for (const CLI::Option* o : cmd->get_options()) {
        const std::string name = o->get_name();
        static const std::set<std::string> allowed{"--resume",     "--threads",          "--json",
                                                   "--checkpoint", "--checkpoint-every", "--save",
                                                   "--help",       "--smoothness"};
        if (o->count() > 0 && !allowed.count(name)) {
          throw CLI::ValidationError(name,
                                     "--resume takes the run's settings from the file; "
                                     "drop " +
                                         name);
        }
      }
    }
    if (c.checkpoint && c.runs != 1) {
      throw CLI::ValidationError("--checkpoint", "saves one run's state; use it with --runs 1");
    }
  });
  return cmd;
}

namespace {

struct RunRecord {
  std::uint64_t seed;
  train::FitResult fit;
};

std::string describe(const TrainConfig& c) {
  std::string text;
  if (c.model_name == "gat" || c.model_name == "gatv2") {
    text =
        fmt::format("{}: {} heads x {} hidden, {} output head(s), dropout {}", c.model_name,
                    c.model.heads, c.model.hidden_channels, c.model.output_heads, c.model.dropout);
  } else {
    text = fmt::format("{}: {} hidden, dropout {}", c.model_name, c.model.hidden_channels,
                       c.model.dropout);
  }
  if (c.layers != 2 || c.residual || c.norm != "none") {
    text += fmt::format(", {} layers{}{}", c.layers, c.residual ? ", residual" : "",
                        c.norm == "layer" ? ", LayerNorm" : "");
  }
  return text;
}

void print_text(const data::Dataset& d, const TrainConfig& c, const std::vector<RunRecord>& runs,
                const train::MeanStd& acc, double wall) {
  fmt::print("{}: {} nodes, {} edges, {} features, {} classes\n", d.name, d.num_nodes(),
             d.graph.num_edges(), d.num_features(), d.num_classes);
  fmt::print("{}\n", describe(c));
  const bool smooth = c.training.measure_smoothness;
  fmt::print("{:<6} {:>9} {:>9} {:>7} {:>5} {:>8}{}\n", "seed", "test acc", "val acc", "epochs",
             "kept", "seconds", smooth ? "  mean dist  Dirichlet" : "");
  for (const RunRecord& r : runs) {
    fmt::print("{:<6} {:>9.4f} {:>9.4f} {:>7} {:>5} {:>8.2f}", r.seed, r.fit.test_accuracy,
               r.fit.val_accuracy, r.fit.epochs_run, r.fit.best_epoch, r.fit.seconds);
    if (smooth) {
      fmt::print("  {:>9.4f} {:>10.4g}", r.fit.mean_pairwise_distance, r.fit.dirichlet_energy);
    }
    fmt::print("\n");
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
      {"layers", c.layers},
      {"residual", c.residual},
      {"norm", c.norm},
      {"attention", c.attention},
      {"ffn_hidden", c.ffn_hidden},
      {"lpe", c.laplacian_k},
      {"norm_first", c.norm_first},
      {"lr", c.training.adam.lr},
      {"weight_decay", c.training.adam.weight_decay},
      {"max_epochs", c.training.max_epochs},
      {"patience", c.training.patience},
      {"split", c.training.split},
      {"normalise_features", c.source.data && c.source.normalise_features},
      {"seed", c.seed},
      {"threads", num_threads()}};
  j["graph"] = {{"nodes", d.num_nodes()},
                {"edges", d.graph.num_edges()},
                {"features", d.num_features()},
                {"classes", d.num_classes}};
  nlohmann::json list = nlohmann::json::array();
  std::vector<double> accs;
  for (const RunRecord& r : runs) {
    nlohmann::json run = {{"seed", r.seed},
                          {"test_accuracy", r.fit.test_accuracy},
                          {"val_accuracy", r.fit.val_accuracy},
                          {"val_loss", r.fit.val_loss},
                          {"epochs", r.fit.epochs_run},
                          {"best_epoch", r.fit.best_epoch},
                          {"seconds", r.fit.seconds}};
    if (c.training.measure_smoothness) {
      run["mean_pairwise_distance"] = r.fit.mean_pairwise_distance;
      run["dirichlet_energy"] = r.fit.dirichlet_energy;
    }
    list.push_back(run);
    accs.push_back(r.fit.test_accuracy);
  }
  j["runs"] = list;
  j["test_accuracy"] = accs;
  j["mean"] = acc.mean;
  j["std"] = acc.std;
  j["wall_seconds"] = wall;
  if (c.save) j["saved"] = *c.save;
  return j;
}

}  // namespace

nn::ModelSpec model_spec(const TrainConfig& c, const data::Dataset& dataset) {
  nn::ModelSpec spec;
  spec.kind = nn::parse_conv_kind(c.model_name);
  spec.sizes = c.model;
  spec.sizes.in_channels = dataset.num_features();
  spec.sizes.out_channels = dataset.num_classes;
  spec.layers = c.layers;
  spec.residual = c.residual;
  spec.norm = c.norm == "layer" ? nn::Normalisation::kLayer : nn::Normalisation::kNone;
  spec.attention = nn::parse_attention_mode(c.attention);
  spec.ffn_hidden = c.ffn_hidden;
  spec.laplacian_k = c.laplacian_k;
  spec.norm_first = c.norm_first;
  return spec;
}

namespace {

// What a training checkpoint records besides the model and its state, so
// that --resume needs nothing else.
nlohmann::json run_settings(const TrainConfig& c, const data::Dataset& dataset,
                            std::uint64_t seed) {
  return {{"dataset", dataset.name},
          {"source", to_json(c.source)},
          {"split", c.training.split},
          {"seed", seed},
          {"training",
           {{"lr", c.training.adam.lr},
            {"weight_decay", c.training.adam.weight_decay},
            {"max_epochs", c.training.max_epochs},
            {"patience", c.training.patience},
            {"checkpoint_every", c.checkpoint_every}}}};
}

// The settings of the run saved in `path`, onto `c`; its state into `state`.
train::Checkpoint resume_settings(const std::string& path, TrainConfig& c,
                                  train::TrainingState& state) {
  train::Checkpoint saved = train::load_checkpoint(path);
  std::optional<train::TrainingState> s = train::training_state(saved, path);
  if (!s) throw heed::Error(path + ": holds no training state (write one with --checkpoint)");
  state = std::move(*s);
  const nlohmann::json m = nlohmann::json::parse(saved.metadata);
  try {
    c.source = dataset_source_from_json(m.at("source"), path);
    c.training.split = m.at("split").get<std::string>();
    c.seed = m.at("seed").get<std::uint64_t>();
    const nlohmann::json& t = m.at("training");
    c.training.adam.lr = t.at("lr").get<double>();
    c.training.adam.weight_decay = t.at("weight_decay").get<double>();
    c.training.max_epochs = t.at("max_epochs").get<int>();
    c.training.patience = t.at("patience").get<int>();
    if (c.checkpoint_every == TrainConfig{}.checkpoint_every) {
      c.checkpoint_every = t.at("checkpoint_every").get<int>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw heed::Error(path + ": the saved run settings are incomplete (" + e.what() + ")");
  }
  const nn::ModelSpec& spec = saved.spec;
  c.model_name = nn::conv_kind_name(spec.kind);
  c.model = spec.sizes;
  c.layers = spec.layers;
  c.residual = spec.residual;
  c.norm = spec.norm == nn::Normalisation::kLayer ? "layer" : "none";
  c.attention = nn::attention_mode_name(spec.attention);
  c.ffn_hidden = spec.ffn_hidden;
  c.laplacian_k = spec.laplacian_k;
  c.norm_first = spec.norm_first;
  c.runs = 1;
  if (!c.checkpoint) c.checkpoint = path;
  return saved;
}

}  // namespace

int run_train(const TrainConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  if (config.threads > 0) set_num_threads(config.threads);
  TrainConfig c = config;
  std::optional<train::Checkpoint> resumed;
  train::TrainingState state;
  if (c.resume) resumed = resume_settings(*c.resume, c, state);
  if (!resumed) c.source.synthetic.seed = c.seed;  // a resumed run keeps the recorded graph
  const data::Dataset dataset = load(c.source);
  const nn::ModelSpec spec = resumed ? resumed->spec : model_spec(c, dataset);
  if (resumed && (spec.sizes.in_channels != dataset.num_features() ||
                  spec.sizes.out_channels != dataset.num_classes)) {
    throw heed::Error(*c.resume + ": the saved model does not fit " + dataset.name);
  }

  train::ProgressLine progress(stderr, c.runs, c.training);
  std::vector<RunRecord> runs;
  std::vector<double> accs;
  std::optional<train::Checkpoint> best;
  double best_val = -1;
  for (int r = 0; r < c.runs; ++r) {
    const std::uint64_t seed = c.seed + std::uint64_t(r);
    Rng rng(seed);
    std::unique_ptr<nn::NodeModel<float>> net =
        resumed ? train::restore_model(*resumed, *c.resume) : nn::make_model(spec, rng);
    train::TrainOptions options = c.training;
    if (c.checkpoint) {
      options.checkpoint_every = c.checkpoint_every;
      options.on_checkpoint = [&](const train::TrainingState& s) {
        train::Checkpoint cp =
            train::make_checkpoint(spec, *net, run_settings(c, dataset, seed).dump());
        train::put_training_state(cp, s);
        train::save_checkpoint(*c.checkpoint, cp);
      };
    }
    train::FitResult fit = train::fit(
        *net, dataset, options, rng, [&](const train::EpochReport& e) { progress.update(r, e); },
        resumed ? &state : nullptr);
    progress.run_finished(fit.seconds);
    runs.push_back({seed, fit});
    accs.push_back(fit.test_accuracy);
    if (c.save && fit.val_accuracy > best_val) {
      best_val = fit.val_accuracy;
      const nlohmann::json metadata = {
          {"dataset", dataset.name},          {"source", to_json(c.source)},
          {"split", c.training.split},        {"seed", seed},
          {"epochs", fit.epochs_run},         {"best_epoch", fit.best_epoch},
          {"val_accuracy", fit.val_accuracy}, {"test_accuracy", fit.test_accuracy}};
      best = train::make_checkpoint(spec, *net, metadata.dump());
    }
  }
  progress.clear();
  if (best) train::save_checkpoint(*c.save, *best);

  const train::MeanStd acc = train::mean_std(accs);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (c.json) {
    std::puts(to_json(dataset, c, runs, acc, wall).dump(2).c_str());
  } else {
    print_text(dataset, c, runs, acc, wall);
    if (best)
      fmt::print("saved the model of seed {} to {}\n",
                 nlohmann::json::parse(best->metadata)["seed"].get<std::uint64_t>(), *c.save);
  }
  return 0;
}

}  // namespace heed::cli
