#pragma once
// "Transformers are graph neural networks", measured (issue #5). Two studies
// on one dataset (Cora by default), each a list of models trained by the
// same rules (train::fit) over several seeds:
//  * the seminar's comparison: a deep GAT against transformers with and
//    without Laplacian encodings, and a GraphGPS-style graph transformer;
//  * weight transfer: transformers trained on all pairs (dense attention),
//    scored again with the same weights and the adjacency as the mask.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "heed/data/dataset.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/train/trainer.hpp"

namespace heed::studies {

struct TransformerStudyOptions {
  int layers = 6;
  int heads = 2;           // transformer heads; GAT uses 8, as its paper
  int width = 64;          // transformer model width (heads x features per head)
  int laplacian_k = 16;    // encodings for the rows that use them
  double dropout = 0.5;    // transformer; GAT keeps its paper's 0.6
  bool norm_first = true;  // pre-norm transformer blocks: deep post-norm ones collapse
  /// The same rules for every row: Adam (lr 0.005, weight decay 5e-4), at
  /// most 300 epochs, stop after 20 without a better validation loss or
  /// accuracy.
  train::TrainOptions training = default_training();

  static train::TrainOptions default_training() {
    train::TrainOptions t;
    t.adam.lr = 0.005;
    t.adam.weight_decay = 5e-4;
    t.max_epochs = 300;
    t.patience = 20;
    return t;
  }
};

/// A model in a study: its label in the table and how to build it.
struct StudyModel {
  std::string key;  // for choosing rows on the command line
  std::string label;
  nn::ModelSpec spec;
  /// Dense transformers are also scored with the adjacency as their mask.
  bool score_masked = false;
};

/// The seminar's rows for `dataset`: GAT (plain, and with residuals and
/// LayerNorm), the transformer on all pairs with and without Laplacian
/// encodings, and the graph transformer (edges + all pairs) with encodings.
std::vector<StudyModel> seminar_models(const TransformerStudyOptions& options,
                                       const data::Dataset& dataset);
/// The weight-transfer rows: dense transformers without and with encodings.
std::vector<StudyModel> weight_transfer_models(const TransformerStudyOptions& options,
                                               const data::Dataset& dataset);

struct StudyRun {
  std::uint64_t seed = 0;
  train::FitResult fit;
  /// With score_masked: test accuracy of the kept weights run as attention
  /// masked by the graph's adjacency (self loops included), i.e. exactly the
  /// graph attention of the same parameters.
  std::optional<double> masked_test_accuracy;
};

/// Builds the model from `seed`, trains it and scores it.
StudyRun run_study_model(const StudyModel& model, const data::Dataset& dataset,
                         const train::TrainOptions& training, std::uint64_t seed);

}  // namespace heed::studies
