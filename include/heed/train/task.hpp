#pragma once
// A learning problem: what is predicted (a node, a whole graph, or a link
// between two nodes) and how (classes, yes/no, or numbers). The task fixes
// the head on the model's outputs, the loss and the metrics; the training
// loop (train/trainer.hpp) knows nothing else of the problem.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/nn/layer.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::train {

/// What one output row stands for.
enum class Target { kNode, kGraph, kLink };
/// What is predicted of it: one of `outputs` classes, `outputs` yes/no
/// answers (one logit each), or `outputs` numbers.
enum class TaskKind { kMultiClass, kBinary, kRegression };
enum class Loss { kCrossEntropy, kBceWithLogits, kMse, kL1 };

/// The targets of some output rows (nodes, or graphs, of a batch).
struct Targets {
  std::vector<NodeId> rows;           // which output rows carry a target
  std::vector<std::int32_t> classes;  // multi-class: the class of each row
  Tensor<float> values;               // binary, regression: rows.size() x outputs
  std::size_t size() const { return rows.size(); }
};

struct Task {
  Target target = Target::kNode;
  TaskKind kind = TaskKind::kMultiClass;
  int outputs = 0;  // classes, or answers, or numbers per row
  Loss loss = Loss::kCrossEntropy;

  /// A task with the usual loss of its kind: cross-entropy, BCE with
  /// logits, MSE.
  static Task of(Target target, TaskKind kind, int outputs);

  /// The metrics it reports, in snake case: accuracy, micro_f1, macro_f1
  /// (multi-class); roc_auc, average_precision, accuracy (binary); rmse, mae
  /// (regression).
  std::vector<std::string> metrics() const;
  /// The metric early stopping and model selection use by default:
  /// accuracy, roc_auc or rmse.
  std::string main_metric() const;
  /// heed::Error unless outputs >= 1 and the loss fits the kind.
  void validate() const;
};

/// Whether a larger value of the metric is better (rmse, mae: smaller).
bool higher_is_better(const std::string& metric);
/// heed::Error unless `metric` is one the task reports.
void check_metric(const Task& task, const std::string& metric);

/// The training loss of the outputs at the targets' rows (1 x 1, on the tape).
Var<float> task_loss(const Task& task, Var<float> outputs, const Targets& targets);

/// What the task's head makes of the outputs for scoring: log-probabilities
/// for multi-class (ops::log_softmax), the outputs themselves otherwise.
Tensor<float> task_predictions(const Task& task, Var<float> outputs);

/// The loss (in double) and every metric of the task, from predictions
/// (task_predictions) at the targets' rows. An undefined metric (ROC-AUC
/// with one class present) is NaN.
struct Scores {
  double loss = 0;
  std::vector<std::pair<std::string, double>> metrics;
  double metric(const std::string& name) const;
};
Scores score(const Task& task, const Tensor<float>& predictions, const Targets& targets);

}  // namespace heed::train

namespace heed::nn {
template <>
struct EnumNames<train::Target> {
  static constexpr const char* kSetting = "target";
  static constexpr std::array<std::pair<train::Target, const char*>, 3> kAll{
      {{train::Target::kNode, "node"},
       {train::Target::kGraph, "graph"},
       {train::Target::kLink, "link"}}};
};
template <>
struct EnumNames<train::TaskKind> {
  static constexpr const char* kSetting = "task kind";
  static constexpr std::array<std::pair<train::TaskKind, const char*>, 3> kAll{
      {{train::TaskKind::kMultiClass, "multi-class"},
       {train::TaskKind::kBinary, "binary"},
       {train::TaskKind::kRegression, "regression"}}};
};
template <>
struct EnumNames<train::Loss> {
  static constexpr const char* kSetting = "loss";
  static constexpr std::array<std::pair<train::Loss, const char*>, 4> kAll{
      {{train::Loss::kCrossEntropy, "cross-entropy"},
       {train::Loss::kBceWithLogits, "bce-with-logits"},
       {train::Loss::kMse, "mse"},
       {train::Loss::kL1, "l1"}}};
};
}  // namespace heed::nn
