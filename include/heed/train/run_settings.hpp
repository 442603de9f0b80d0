#pragma once
// What a checkpoint records of the run that wrote it, beside the model: the
// dataset it came from, the seed and the training settings, so that
// `--resume` continues a run and `heed eval` finds the graph with nothing
// more to go on. Each field is written and read here only.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "heed/data/dataset_source.hpp"
#include "heed/train/checkpoint.hpp"
#include "heed/train/trainer.hpp"

namespace heed::train {

struct RunSettings {
  data::DatasetSource source;
  std::uint64_t seed = 0;
  TrainOptions training;  // lr, weight decay, epochs, patience, split, select
  int checkpoint_every = 10;
};

/// The metadata of a run's checkpoint: `dataset` (its name, for people),
/// the settings, and, for a finished model, its scores.
std::string run_metadata(const RunSettings& settings, const std::string& dataset);
std::string model_metadata(const RunSettings& settings, const std::string& dataset,
                           const FitResult& fit);

/// A checkpoint of a run in progress, for --resume.
Checkpoint run_checkpoint(nn::Model<float>& model, const RunSettings& settings,
                          const std::string& dataset, const TrainingState& state);

/// A run saved with its training state, read back: what to continue.
struct SavedRun {
  Checkpoint checkpoint;
  RunSettings settings;
  TrainingState state;
};
/// heed::Error naming `path` if it holds no training state or its settings
/// are incomplete.
SavedRun load_saved_run(const std::filesystem::path& path);

/// The dataset a checkpoint's model was trained on, and the split; nullopt
/// or "public" for files that do not record them.
std::optional<data::DatasetSource> saved_source(const Checkpoint& checkpoint,
                                                const std::string& context);
std::string saved_split(const Checkpoint& checkpoint);
/// The seed recorded with a model, if any.
std::optional<std::uint64_t> saved_seed(const Checkpoint& checkpoint);

}  // namespace heed::train
