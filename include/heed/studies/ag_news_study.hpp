#pragma once
// The seminar's text experiment ("Transformers are GNNs"): documents of AG
// News as graphs of their first tokens, classified by
//   (a) GAT on the complete token graph,
//   (b) a transformer encoder (post-norm blocks; its self-attention is
//       attention on the same complete graph),
//   (c) GAT on a sliding-window token graph (window 2 each side),
// at the same width and depth, each ending in mean pooling and an MLP head,
// all three over the same learned token embeddings and positions. Each seed
// fixes a stratified split (6000 / 800 / 800 of the 7600 documents), the
// vocabulary of its training documents, and every model's initialisation
// and batches, so the models are compared on the same data seed by seed.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "heed/data/text_dataset.hpp"
#include "heed/data/token_graphs.hpp"
#include "heed/nn/token_graph_model.hpp"
#include "heed/train/trainer.hpp"

namespace heed::studies {

struct AgNewsOptions {
  std::array<std::int64_t, 3> split{6000, 800, 800};
  int max_tokens = 64;
  int min_count = 2;  // rarer training words are the unknown word
  int width = 64;     // every model: heads x 16
  int heads = 4;
  std::vector<int> depths{2, 4};
  int window = 2;
  nn::Positions positions = nn::Positions::kSinusoidal;
  int batch_size = 64;
  double dropout = 0.1;
  /// The transformer's blocks: post-norm (Vaswani et al., PyTorch's
  /// default) or pre-norm (norm_first).
  bool norm_first = false;
  int seeds = 10;
  /// Which models, by key: "gat-complete", "transformer", "gat-window".
  std::vector<std::string> models{"gat-complete", "transformer", "gat-window"};
  /// The same rules for every model: Adam at lr 0.002, at most 15 epochs,
  /// the epoch of best validation accuracy kept, stop after 5 without one.
  train::TrainOptions training = default_training();

  static train::TrainOptions default_training() {
    train::TrainOptions t;
    t.adam.lr = 0.002;
    t.adam.weight_decay = 0;
    t.max_epochs = 15;
    t.patience = 5;
    t.select = "accuracy";
    return t;
  }
};

/// The model keys and what each is.
const std::vector<std::pair<std::string, std::string>>& ag_news_models();

struct AgNewsRun {
  std::string model;  // key
  int layers = 0;
  std::uint64_t seed = 0;
  double test_accuracy = 0;
  double val_accuracy = 0;
  int epochs = 0;                // run
  int best_epoch = 0;            // kept
  double seconds_per_epoch = 0;  // training and the validation pass
  std::int64_t vocabulary = 0;
};

/// Every chosen model at every depth for seeds 0 .. seeds - 1, seed-major;
/// `on_run`, if set, sees each run as it ends, and `on_epoch` each epoch of
/// run `run` (0-based, in that order).
std::vector<AgNewsRun> run_ag_news_study(
    const data::TextDataset& dataset, const AgNewsOptions& options,
    const std::function<void(const AgNewsRun&)>& on_run = {},
    const std::function<void(int run, const train::EpochReport&)>& on_epoch = {});

}  // namespace heed::studies
