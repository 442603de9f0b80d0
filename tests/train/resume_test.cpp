// A run interrupted after a checkpoint and resumed from it reaches bitwise
// the same result as a run never interrupted (issue #6).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "heed/data/synthetic.hpp"
#include "heed/train/checkpoint.hpp"
#include "heed/train/trainer.hpp"

namespace heed {
namespace {

struct Crash : std::runtime_error {
  Crash() : std::runtime_error("simulated crash") {}
};

TEST(Resume, AnInterruptedRunResumedFromItsCheckpointEndsTheSame) {
  data::SyntheticOptions so;
  so.nodes = 600;
  so.valid = 150;
  so.test = 300;
  const data::Dataset d = data::make_csbm(so);
  nn::ModelSpec spec;
  spec.in_channels = d.num_features();
  spec.out_channels = d.num_classes;
  spec.layers = 3;  // a stack with residuals and LayerNorm: every kind of state
  spec.residual = true;
  spec.norm = nn::Normalisation::kLayer;
  train::TrainOptions options;
  options.max_epochs = 200;
  options.patience = 5;

  Rng rng_whole(21);
  auto whole = nn::make_model<float>(spec, rng_whole);
  std::vector<double> whole_losses;
  const train::FitResult a =
      train::fit(*whole, d, options, rng_whole,
                 [&](const train::EpochReport& e) { whole_losses.push_back(e.train_loss); });

  // The same run, checkpointed every 7 epochs through the file format, and
  // killed at epoch 25.
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("heed-resume-" + std::to_string(::getpid()));
  train::TrainOptions saving = options;
  saving.checkpoint_every = 7;
  Rng rng_first(21);
  auto first = nn::make_model<float>(spec, rng_first);
  saving.on_checkpoint = [&](const train::TrainingState& s) {
    train::Checkpoint c = train::make_checkpoint(*first);
    train::put_training_state(c, s);
    train::save_checkpoint(file, c);
  };
  std::vector<double> losses;
  EXPECT_THROW(train::fit(*first, d, saving, rng_first,
                          [&](const train::EpochReport& e) {
                            losses.push_back(e.train_loss);
                            if (e.epoch == 25) throw Crash();
                          }),
               Crash);

  const train::Checkpoint saved = train::load_checkpoint(file);
  std::filesystem::remove(file);
  const std::optional<train::TrainingState> state = train::training_state(saved, "saved");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->epoch, 21);
  auto resumed = train::restore_model(saved, "saved");
  Rng rng_second(999);  // its state comes from the checkpoint
  losses.resize(21);
  const train::FitResult b = train::fit(
      *resumed, d, options, rng_second,
      [&](const train::EpochReport& e) { losses.push_back(e.train_loss); }, &*state);

  ASSERT_LT(a.epochs_run, 200) << "early stopping should end the run, so its state matters";
  EXPECT_EQ(losses, whole_losses);
  EXPECT_EQ(a.epochs_run, b.epochs_run);
  EXPECT_EQ(a.best_epoch, b.best_epoch);
  EXPECT_EQ(a.val_loss, b.val_loss);
  EXPECT_EQ(a.test_accuracy, b.test_accuracy);
  const auto pa = whole->parameters(), pb = resumed->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t k = 0; k < pa.size(); ++k) {
    EXPECT_EQ(
        std::memcmp(pa[k]->value.data(), pb[k]->value.data(), pa[k]->value.size() * sizeof(float)),
        0)
        << pa[k]->name;
  }
}

}  // namespace
}  // namespace heed
