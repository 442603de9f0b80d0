#include "train_command.hpp"

#include <fmt/core.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "dataset_options.hpp"
#include "enum_options.hpp"
#include "flag_checks.hpp"
#include "graph_train.hpp"
#include "heed/data/graph_dataset.hpp"
#include "heed/error.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/nn/model.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/train/metrics.hpp"
#include "heed/train/progress.hpp"
#include "heed/train/run_settings.hpp"
#include "run_summary.hpp"

namespace heed::cli {
namespace {

std::string model_help() {
  std::string text = "The model: a stack of one conv (";
  const auto convs = nn::registered_convs();
  for (std::size_t k = 0; k < convs.size(); ++k) {
    text += (k ? "; " : "") + convs[k].traits.name + ": " + convs[k].traits.summary;
  }
  return text +
         ") or the transformer (blocks of width heads x hidden, attention as --attention "
         "says). Each takes its paper's hidden size, dropout, lr and epochs where not given";
}

// NAME=VALUE into the spec's conv options; true/false read as 1/0.
void parse_conv_options(const std::vector<std::string>& given, nn::ModelSpec& spec) {
  for (const std::string& text : given) {
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw CLI::ValidationError("--conv-option", "expected NAME=VALUE, got '" + text + "'");
    }
    const std::string name = text.substr(0, eq), value = text.substr(eq + 1);
    double v = 0;
    if (value == "true") {
      v = 1;
    } else if (value == "false") {
      v = 0;
    } else if (!detail::parse_finite(value, v)) {
      throw CLI::ValidationError("--conv-option",
                                 "the value of " + name + " must be a number, got '" + value + "'");
    }
    spec.conv_options[name] = v;
  }
}

}  // namespace

CLI::App* add_train_command(CLI::App& app, TrainConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a node classifier (GAT, GATv2, GCN, GraphSAGE-mean, GIN, deep stacks, graph "
      "transformers): repeated runs, every metric of each and mean +- std");
  add_dataset_options(*cmd, c.source);
  cmd->add_option("--split", c.training.split, "Named split of the dataset")->capture_default_str();
  cmd->add_option("--runs", c.runs, "Number of runs; run r uses seed + r")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", c.seed, "Seed of the first run")->capture_default_str();
  cmd->add_option("--threads", c.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("--json", c.json, "Write results as JSON to stdout (docs/results-json.md)");
  cmd->add_option("--save", c.save,
                  "Write the model of the run with the best validation score to this "
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

  nn::ModelSpec& s = c.spec;
  cmd->add_option("--model", s.model, model_help())
      ->capture_default_str()
      ->check(one_of_names(nn::model_names()))
      ->group("Model");
  auto positive = CLI::Range(1, 1 << 20);
  auto probability = CLI::Range(0.0, 0.999);
  cmd->add_option("--heads", s.heads, "Hidden-layer attention heads")
      ->capture_default_str()
      ->check(positive)
      ->group("Model");
  cmd->add_option("--hidden", s.hidden_channels, "Features per hidden head (hidden_channels)")
      ->capture_default_str()
      ->check(positive)
      ->group("Model");
  cmd->add_option("--output-heads", s.output_heads, "Output-layer heads (averaged)")
      ->capture_default_str()
      ->check(positive)
      ->group("Model");
  cmd->add_option("--dropout", s.dropout, "Dropout on each layer's input")
      ->capture_default_str()
      ->check(probability)
      ->group("Model");
  cmd->add_option("--attention-dropout", s.attention_dropout,
                  "Dropout on attention coefficients (default: --dropout)")
      ->check(probability)
      ->group("Model");
  add_enum_option(*cmd, "--feature-dropout", s.feature_dropout,
                  "Where the 2-layer GAT's feature dropout acts: per-head (the GAT authors' "
                  "code: each head's input and its projected features) or layer-input (PyG's "
                  "example)")
      ->group("Model");
  cmd->add_option("--layers", s.layers,
                  "Message-passing layers (transformer blocks); other than 2, or with "
                  "--residual or --norm, a deep stack")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024))
      ->group("Model");
  cmd->add_flag("--residual", s.residual,
                "Residual connections around hidden layers after the first")
      ->group("Model");
  add_enum_option(*cmd, "--norm", s.norm, "Normalisation after each hidden layer")->group("Model");
  cmd->add_option("--conv-option", c.conv_options,
                  "The conv's own setting, NAME=VALUE, repeatable (GATv2: share_weights; GIN: "
                  "eps, train_eps, mlp_hidden; GCN: normalize; any: bias, add_self_loops where "
                  "the conv has them)")
      ->group("Model");
  add_enum_option(*cmd, "--attention", s.attention,
                  "transformer: graph (on the edges, sparse), dense-masked (N x N, masked by the "
                  "adjacency), dense (all pairs) or graph+dense (both, summed: GraphGPS)")
      ->group("Model");
  cmd->add_option("--ffn-hidden", s.ffn_hidden,
                  "transformer: feed-forward width (0: twice the model width)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20))
      ->group("Model");
  cmd->add_flag("--norm-first", s.norm_first,
                "transformer: pre-norm blocks (LayerNorm before attention and FFN, one at the "
                "end), which train at depth where post-norm ones collapse")
      ->group("Model");
  cmd->add_option("--lpe", s.laplacian_k,
                  "transformer: Laplacian positional encodings (laplacian_k), the K "
                  "eigenvectors of the normalised Laplacian with the smallest non-zero "
                  "eigenvalues, signs flipped at random in training (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 16))
      ->group("Model");
  cmd->add_option("--negative-slope", s.negative_slope, "LeakyReLU slope")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group("Model");

  cmd->add_option("--lr", c.training.adam.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(positive_number())
      ->group("Optimisation");
  cmd->add_option("--lr-step", c.training.lr_step,
                  "Multiply the learning rate by --lr-decay every this many epochs (the GIN "
                  "paper's StepLR: 50; 0: constant)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30))
      ->group("Optimisation");
  cmd->add_option("--lr-decay", c.training.lr_decay, "Factor of --lr-step")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
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
                  "Stop after this many epochs without a better validation loss or score")
      ->capture_default_str()
      ->check(positive)
      ->group("Optimisation");
  cmd->add_option("--select", c.training.select,
                  "What early stopping and the kept model go by: paper (the GAT paper's rule on "
                  "the validation loss and the task's main metric), loss, or a metric of the "
                  "task (accuracy, micro_f1, macro_f1, ...)")
      ->capture_default_str()
      ->group("Optimisation");

  const char* graphs = "Whole graphs (TUDatasets, molecules)";
  cmd->add_option("--folds", c.folds,
                  "Stratified k-fold cross-validation, seeded by --seed (+ r for run r): fold k "
                  "tests, fold k - 1 validates (0: a random 80/10/10 split a run)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20))
      ->group(graphs);
  cmd->add_option("--batch-size", c.batch_size, "Graphs a training batch")
      ->capture_default_str()
      ->check(positive)
      ->group(graphs);
  add_enum_option(*cmd, "--readout", s.readout,
                  "How a graph's nodes are pooled (default for whole graphs: sum for gin, mean "
                  "otherwise)")
      ->group(graphs);
  cmd->add_flag("--readout-every-layer", s.readout_every_layer,
                "Pool the input and every layer's output, concatenated before the head (the GIN "
                "paper's readout; PyG's jk='cat')")
      ->group(graphs);
  cmd->add_option("--head-hidden", s.head_hidden,
                  "Hidden width of the MLP head after the readout (0: the stack's width)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20))
      ->group(graphs);
  cmd->add_flag("--skip-invalid", c.skip_invalid,
                "Leave out molecules whose SMILES RDKit rejects, and report how many (default: "
                "stop at the first, naming its line)")
      ->group(graphs);

  add_synthetic_options(*cmd, c.source.synthetic);

  cmd->final_callback([cmd, &c] {
    // The model's paper settings, where not given.
    const nn::PaperDefaults d = nn::paper_defaults(c.spec.model);
    if (cmd->count("--hidden") == 0) c.spec.hidden_channels = d.hidden_channels;
    if (cmd->count("--dropout") == 0) c.spec.dropout = d.dropout;
    if (cmd->count("--lr") == 0) c.training.adam.lr = d.lr;
    if (cmd->count("--epochs") == 0) c.training.max_epochs = d.max_epochs;
    // The attention dropout follows --dropout unless given itself.
    if (cmd->count("--attention-dropout") == 0) c.spec.attention_dropout = c.spec.dropout;
    parse_conv_options(c.conv_options, c.spec);
    c.given.clear();
    for (const CLI::Option* o : cmd->get_options()) {
      if (o->count() > 0) c.given.insert(o->get_name());
    }
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

std::string describe(const nn::ModelSpec& s) {
  std::string text;
  const bool heads = s.is_transformer() || nn::conv_info(s.model).traits.multi_head;
  if (heads) {
    text = fmt::format("{}: {} heads x {} hidden, {} output head(s), dropout {}", s.model, s.heads,
                       s.hidden_channels, s.output_heads, s.dropout);
  } else {
    text = fmt::format("{}: {} hidden, dropout {}", s.model, s.hidden_channels, s.dropout);
  }
  if (s.layers != 2 || s.residual || s.norm != nn::Normalisation::kNone) {
    text += fmt::format(", {} layers{}{}", s.layers, s.residual ? ", residual" : "",
                        s.norm == nn::Normalisation::kLayer   ? ", LayerNorm"
                        : s.norm == nn::Normalisation::kBatch ? ", BatchNorm"
                                                              : "");
  }
  return text;
}

RunValues run_values(const std::vector<RunRecord>& runs) {
  RunValues v;
  for (const RunRecord& r : runs) add_run(v, r.fit.metrics);
  return v;
}

void print_text(const data::Dataset& d, const TrainConfig& c, const std::vector<RunRecord>& runs,
                const train::MeanStd& acc, double wall) {
  fmt::print("{}: {} nodes, {} edges, {} features, {} classes\n", d.name, d.num_nodes(),
             d.graph.num_edges(), d.num_features(), d.num_classes);
  fmt::print("{}\n", describe(c.spec));
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
  const RunValues values = run_values(runs);
  if (values.count("test")) {
    std::string line;
    for (const auto& [name, v] : values.at("test")) {
      if (name == "loss") continue;
      const train::MeanStd m = train::mean_std(v);
      line += fmt::format("{}{} {:.4f} +- {:.4f}", line.empty() ? "" : ", ", name, m.mean, m.std);
    }
    fmt::print("test metrics: {}\n", line);
  }
  fmt::print("test accuracy: {:.2f} +- {:.2f} % over {} run(s), {:.1f} s\n", 100 * acc.mean,
             100 * acc.std, runs.size(), wall);
}

nlohmann::json to_json(const data::Dataset& d, const TrainConfig& c,
                       const std::vector<RunRecord>& runs, const train::MeanStd& acc, double wall) {
  nlohmann::json j;
  j["dataset"] = d.name;
  j["model"] = c.spec.model;
  // The model's settings as the one spec writer spells them, then the run's.
  nlohmann::json config = c.spec;
  config.update({{"lr", c.training.adam.lr},
                 {"weight_decay", c.training.adam.weight_decay},
                 {"max_epochs", c.training.max_epochs},
                 {"patience", c.training.patience},
                 {"select", c.training.select},
                 {"lr_step", c.training.lr_step},
                 {"lr_decay", c.training.lr_decay},
                 {"split", c.training.split},
                 {"normalise_features", c.source.data && c.source.normalise_features},
                 {"seed", c.seed},
                 {"threads", num_threads()}});
  j["config"] = config;
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
    run["metrics"] = run_metrics_json(r.fit.metrics);
    list.push_back(run);
    accs.push_back(r.fit.test_accuracy);
  }
  j["runs"] = list;
  j["test_accuracy"] = accs;
  j["mean"] = acc.mean;
  j["std"] = acc.std;
  j["metrics"] = metrics_json(run_values(runs));
  j["wall_seconds"] = wall;
  if (c.save) j["saved"] = *c.save;
  return j;
}

}  // namespace

int run_train(const TrainConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  if (config.threads > 0) set_num_threads(config.threads);
  TrainConfig c = config;
  std::optional<train::SavedRun> resumed;
  if (c.resume) {
    resumed = train::load_saved_run(*c.resume);
    const train::RunSettings& s = resumed->settings;
    c.source = s.source;  // a resumed run keeps the recorded graph
    c.seed = s.seed;
    c.training.adam = s.training.adam;
    c.training.max_epochs = s.training.max_epochs;
    c.training.patience = s.training.patience;
    c.training.split = s.training.split;
    c.training.select = s.training.select;
    c.training.lr_step = s.training.lr_step;
    c.training.lr_decay = s.training.lr_decay;
    if (c.checkpoint_every == TrainConfig{}.checkpoint_every)
      c.checkpoint_every = s.checkpoint_every;
    c.spec = resumed->checkpoint.spec;
    c.runs = 1;
    if (!c.checkpoint) c.checkpoint = *c.resume;
  } else {
    c.source.synthetic.seed = c.seed;
    if (c.source.data) {
      const std::filesystem::path dir = data::resolve_dataset(*c.source.data);
      if (data::is_graph_dataset(dir)) return run_graph_train(c, dir);
    }
  }
  for (const char* flag : {"--folds", "--batch-size", "--readout", "--head-hidden",
                           "--readout-every-layer", "--skip-invalid"}) {
    if (c.given.count(flag)) {
      throw heed::Error(std::string(flag) +
                        " applies to whole-graph datasets (TUDatasets, molecules); " +
                        (c.source.data ? *c.source.data : std::string("the synthetic graph")) +
                        " is a node dataset");
    }
  }
  const data::Dataset dataset = data::load(c.source);
  if (resumed) {
    if (c.spec.in_channels != dataset.num_features() ||
        c.spec.out_channels != dataset.num_classes) {
      throw heed::Error(*c.resume + ": the saved model does not fit " + dataset.name);
    }
  } else {
    c.spec.in_channels = dataset.num_features();
    c.spec.out_channels = dataset.num_classes;
  }
  c.spec.validate();

  train::ProgressLine progress(stderr, c.runs, c.training);
  std::vector<RunRecord> runs;
  std::vector<double> accs;
  std::optional<train::Checkpoint> best;
  std::uint64_t best_seed = 0;
  double best_val = -1;
  for (int r = 0; r < c.runs; ++r) {
    const std::uint64_t seed = c.seed + std::uint64_t(r);
    Rng rng(seed);
    std::unique_ptr<nn::Model<float>> net =
        resumed ? train::restore_model(resumed->checkpoint, *c.resume)
                : nn::make_model<float>(c.spec, rng);
    train::RunSettings settings{c.source, seed, c.training, c.checkpoint_every};
    train::TrainOptions options = c.training;
    if (c.checkpoint) {
      options.checkpoint_every = c.checkpoint_every;
      options.on_checkpoint = [&](const train::TrainingState& s) {
        train::save_checkpoint(*c.checkpoint,
                               train::run_checkpoint(*net, settings, dataset.name, s));
      };
    }
    train::FitResult fit = train::fit(
        *net, dataset, options, rng, [&](const train::EpochReport& e) { progress.update(r, e); },
        resumed ? &resumed->state : nullptr);
    progress.run_finished(fit.seconds);
    runs.push_back({seed, fit});
    accs.push_back(fit.test_accuracy);
    if (c.save && fit.val_accuracy > best_val) {
      best_val = fit.val_accuracy;
      best_seed = seed;
      best = train::make_checkpoint(*net, train::model_metadata(settings, dataset.name, fit));
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
    if (best) fmt::print("saved the model of seed {} to {}\n", best_seed, *c.save);
  }
  return 0;
}

}  // namespace heed::cli
