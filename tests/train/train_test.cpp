#include <gtest/gtest.h>

#include <filesystem>

#include "heed/data/dataset.hpp"
#include "heed/data/synthetic.hpp"
#include "heed/error.hpp"
#include "heed/nn/gnn_stack.hpp"
#include "heed/train/early_stopping.hpp"
#include "heed/train/metrics.hpp"
#include "heed/train/trainer.hpp"

namespace heed::train {
namespace {

TEST(EarlyStopping, FollowsTheGatPaperRule) {
  EarlyStopping s(3);
  auto d = s.update(1.0, 0.5);  // first epoch: best on both
  EXPECT_TRUE(d.keep_model);
  d = s.update(0.9, 0.4);  // loss better only: resets patience, model not kept
  EXPECT_FALSE(d.keep_model);
  EXPECT_EQ(s.epochs_without_improvement(), 0);
  d = s.update(0.95, 0.6);  // accuracy better only
  EXPECT_FALSE(d.keep_model);
  d = s.update(0.85, 0.6);  // both at least as good: kept
  EXPECT_TRUE(d.keep_model);
  EXPECT_FALSE(s.update(0.9, 0.5).stop);
  EXPECT_FALSE(s.update(0.9, 0.5).stop);
  EXPECT_TRUE(s.update(0.9, 0.5).stop);  // third epoch without improvement
  EXPECT_DOUBLE_EQ(s.best_loss(), 0.85);
  EXPECT_DOUBLE_EQ(s.best_score(), 0.6);
  EXPECT_THROW(EarlyStopping(0), Error);
}

data::Dataset small_csbm() {
  data::SyntheticOptions o;  // the CLI's default graph
  return data::make_csbm(o);
}

// The GAT paper's model for the dataset.
nn::ModelSpec gat_for(const data::Dataset& d) {
  nn::ModelSpec o;
  o.in_channels = d.num_features();
  o.out_channels = d.num_classes;
  return o;
}

TEST(Fit, SyntheticDefaultTrainsWellAboveChance) {
  const data::Dataset d = small_csbm();
  Rng rng(0);
  nn::GNNStack<float> model(gat_for(d), rng);
  TrainOptions options;
  options.max_epochs = 150;
  int epochs_seen = 0;
  const FitResult r = fit(model, d, options, rng, [&](const EpochReport& e) {
    ++epochs_seen;
    EXPECT_EQ(e.epoch, epochs_seen);
  });
  EXPECT_EQ(r.epochs_run, epochs_seen);
  EXPECT_GE(r.best_epoch, 1);
  // Chance is 1 / 5 classes.
  EXPECT_GT(r.test_accuracy, 0.6) << "test accuracy " << r.test_accuracy;
  EXPECT_GT(r.val_accuracy, 0.6);
}

TEST(Fit, SameSeedSameNumbers) {
  data::SyntheticOptions so;
  so.nodes = 800;
  so.valid = 200;
  so.test = 300;
  const data::Dataset d = data::make_csbm(so);
  auto run = [&] {
    Rng rng(4);
    nn::GNNStack<float> model(gat_for(d), rng);
    TrainOptions options;
    options.max_epochs = 30;
    std::vector<double> losses;
    fit(model, d, options, rng, [&](const EpochReport& e) { losses.push_back(e.train_loss); });
    std::vector<float> weights;
    for (Parameter<float>* p : model.parameters()) {
      weights.insert(weights.end(), p->value.values().begin(), p->value.values().end());
    }
    return std::make_pair(losses, weights);
  };
  const auto a = run(), b = run();
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
}

TEST(Fit, TheLearningRateStepsDownEveryLrStepEpochs) {
  // lr_decay 0 makes a step's learning rate 0, so the parameters stand
  // still: with lr_step 2, epochs 1 and 2 move them and epochs 3 and 4 do
  // not (epoch e uses lr x 0 ^ floor((e - 1) / 2)).
  const data::Dataset d = small_csbm();
  Rng rng(2);
  nn::GNNStack<float> model(gat_for(d), rng);
  TrainOptions options;
  options.max_epochs = 4;
  options.lr_step = 2;
  options.lr_decay = 0.0;
  options.checkpoint_every = 1;
  std::vector<std::vector<float>> after;  // the parameters after each epoch
  options.on_checkpoint = [&](const TrainingState&) {
    std::vector<float> w;
    for (Parameter<float>* p : model.parameters()) {
      w.insert(w.end(), p->value.values().begin(), p->value.values().end());
    }
    after.push_back(w);
  };
  fit(model, d, options, rng);
  ASSERT_EQ(after.size(), 4u);
  EXPECT_NE(after[0], after[1]);
  EXPECT_EQ(after[1], after[2]);
  EXPECT_EQ(after[2], after[3]);
}

TEST(Fit, ADivergingRunStopsWithAnErrorNamingTheEpoch) {
  data::SyntheticOptions so;
  so.nodes = 400;
  so.valid = 100;
  so.test = 100;
  const data::Dataset d = data::make_csbm(so);
  Rng rng(1);
  nn::GNNStack<float> model(gat_for(d), rng);
  TrainOptions options;
  options.max_epochs = 50;
  options.adam.lr = 1e30;  // the first step sends the weights to the edge of float's range
  try {
    fit(model, d, options, rng);
    FAIL() << "a run with lr 1e30 finished";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("csbm: epoch ", 0), 0u) << m;
    EXPECT_NE(m.find("not finite"), std::string::npos) << m;
  }
}

TEST(Fit, StopsAfterPatienceAndRestoresTheKeptEpoch) {
  const data::Dataset d = small_csbm();
  Rng rng(1);
  nn::GNNStack<float> model(gat_for(d), rng);
  TrainOptions options;
  options.patience = 5;
  options.adam.lr = 0.5;  // large steps: validation stops improving quickly
  const FitResult r = fit(model, d, options, rng);
  EXPECT_LT(r.epochs_run, options.max_epochs);
  EXPECT_GE(r.epochs_run, r.best_epoch + options.patience - 1);
}

TEST(Fit, RejectsUnlabelledOrMissingSplits) {
  data::Dataset d = small_csbm();
  Rng rng(0);
  nn::GNNStack<float> model(gat_for(d), rng);
  TrainOptions options;
  options.split = "nope";
  EXPECT_THROW(fit(model, d, options, rng), Error);
  options.split = "public";
  d.y[std::size_t(d.split("public").train[0])] = -1;
  EXPECT_THROW(fit(model, d, options, rng), Error);
}

TEST(Fit, CoraSingleRunReachesPaperTerritory) {
  const std::filesystem::path cora = std::filesystem::path(HEED_TEST_DATA_DIR) / "cora";
  if (!std::filesystem::exists(cora)) GTEST_SKIP() << "no " << cora;
  const data::Dataset d = data::load_dataset(cora.string(), data::LoadOptions{true});
  Rng rng(0);
  nn::GNNStack<float> model(gat_for(d), rng);
  const FitResult r = fit(model, d, TrainOptions{}, rng);
  // One run of the paper's setup; the 10-run mean is measured by the CLI.
  EXPECT_GT(r.test_accuracy, 0.79) << "test accuracy " << r.test_accuracy;
}

}  // namespace
}  // namespace heed::train
