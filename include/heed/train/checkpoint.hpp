#pragma once
// A trained model on disk: what it is (nn::ModelSpec), where it came from
// (free JSON metadata) and its parameters, behind a version number and a
// CRC-32. The byte layout is documented in docs/checkpoint-format.md.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "heed/nn/model.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/tensor/tensor.hpp"
#include "heed/train/trainer.hpp"

namespace heed::train {

/// The format version this build writes and the only one it reads.
inline constexpr std::uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  nn::ModelSpec spec;
  std::string metadata = "{}";  // a JSON object: dataset, seed, scores, ...
  std::vector<std::pair<std::string, Tensor<float>>> parameters;
  /// A run's training state for resuming (optimiser moments, kept
  /// parameters), empty in a checkpoint of a finished model; its scalars
  /// live in the metadata under "training_state".
  std::vector<std::pair<std::string, Tensor<float>>> state;
};

/// A checkpoint of `model` (its spec and parameters) as it is now.
Checkpoint make_checkpoint(nn::Model<float>& model, std::string metadata = "{}");

/// The file's bytes, and back. Decoding checks the magic, the version, the
/// checksum and every length; heed::Error prefixed by `context` says which.
std::string encode_checkpoint(const Checkpoint& checkpoint);
Checkpoint decode_checkpoint(std::string_view bytes, const std::string& context);

/// Writes through a temporary file and a rename (data::AtomicFile).
void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);
Checkpoint load_checkpoint(const std::filesystem::path& path);

/// Adds a run's training state to the checkpoint, and reads it back
/// (nullopt if the checkpoint has none; heed::Error, prefixed by `context`,
/// if it is incomplete).
void put_training_state(Checkpoint& checkpoint, const TrainingState& state);
std::optional<TrainingState> training_state(const Checkpoint& checkpoint,
                                            const std::string& context);

/// The model the checkpoint describes, holding its parameters; heed::Error
/// (prefixed by `context`) if a parameter's name or shape does not fit.
std::unique_ptr<nn::Model<float>> restore_model(const Checkpoint& checkpoint,
                                                const std::string& context);

}  // namespace heed::train
