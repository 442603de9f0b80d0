#pragma once
// What the training loop consumes: batches, each a model input (a graph or a
// subgraph or many graphs as one, with the rows of features that go with it)
// and the targets that sit on some of its output rows, for each part of the
// split. A source of batches hides how they are made: the whole graph once
// (FullGraphSource), graphs in batches, sampled neighbourhoods. The loop is
// the same for all.
#include <array>
#include <cstdint>
#include <functional>

#include "heed/nn/model.hpp"
#include "heed/train/task.hpp"

namespace heed::train {

/// The parts of a split.
enum class Part { kTrain, kValid, kTest };
inline constexpr std::array<Part, 3> kParts{Part::kTrain, Part::kValid, Part::kTest};

struct Batch {
  nn::GraphInput<float> input;
  /// The targets of each part on this batch's output rows; null where the
  /// batch has none of that part.
  std::array<const Targets*, 3> targets{};
  const Targets* of(Part part) const { return targets[std::size_t(part)]; }
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// What the batches' targets are.
  virtual const Task& task() const = 0;
  /// Calls `visit` with each training batch of `epoch` (1-based), in order.
  /// The batches may depend on (seed, epoch) and nothing else, so that a run
  /// is reproducible and a resumed run sees the same batches.
  virtual void training_batches(std::uint64_t seed, int epoch,
                                const std::function<void(const Batch&)>& visit) = 0;
  /// Calls `visit` with batches that together hold every target of every
  /// part exactly once, for evaluation (no dropout).
  virtual void evaluation_batches(const std::function<void(const Batch&)>& visit) = 0;
};

}  // namespace heed::train

namespace heed::nn {
template <>
struct EnumNames<train::Part> {
  static constexpr const char* kSetting = "part";
  static constexpr std::array<std::pair<train::Part, const char*>, 3> kAll{
      {{train::Part::kTrain, "train"},
       {train::Part::kValid, "valid"},
       {train::Part::kTest, "test"}}};
};
}  // namespace heed::nn
