#include "heed/train/task.hpp"

#include <cmath>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/train/metrics.hpp"

namespace heed::train {

Task Task::of(Target target, TaskKind kind, int outputs) {
  Task t;
  t.target = target;
  t.kind = kind;
  t.outputs = outputs;
  t.loss = kind == TaskKind::kMultiClass ? Loss::kCrossEntropy
           : kind == TaskKind::kBinary   ? Loss::kBceWithLogits
                                         : Loss::kMse;
  return t;
}

std::vector<std::string> Task::metrics() const {
  switch (kind) {
    case TaskKind::kMultiClass:
      return {"accuracy", "micro_f1", "macro_f1"};
    case TaskKind::kBinary:
      return {"roc_auc", "average_precision", "accuracy"};
    case TaskKind::kRegression:
      return {"rmse", "mae"};
  }
  return {};
}

std::string Task::main_metric() const {
  return metrics().front();
}

void Task::validate() const {
  if (outputs < 1) throw Error("task: outputs must be >= 1, got " + std::to_string(outputs));
  const bool fits = (kind == TaskKind::kMultiClass && loss == Loss::kCrossEntropy) ||
                    (kind == TaskKind::kBinary && loss == Loss::kBceWithLogits) ||
                    (kind == TaskKind::kRegression && (loss == Loss::kMse || loss == Loss::kL1));
  if (!fits) {
    throw Error(std::string("task: the loss ") + nn::name_of(loss) + " does not fit a " +
                nn::name_of(kind) + " task");
  }
}

bool higher_is_better(const std::string& metric) {
  return metric != "rmse" && metric != "mae";
}

void check_metric(const Task& task, const std::string& metric) {
  for (const std::string& m : task.metrics()) {
    if (m == metric) return;
  }
  throw Error("metric '" + metric + "' is not one of a " + nn::name_of(task.kind) + " task's (" +
              nn::one_of(task.metrics()) + ")");
}

Var<float> task_loss(const Task& task, Var<float> outputs, const Targets& t) {
  const std::span<const NodeId> rows(t.rows);
  switch (task.loss) {
    case Loss::kCrossEntropy:
      return ops::cross_entropy(outputs, rows, std::span<const std::int32_t>(t.classes));
    case Loss::kBceWithLogits:
      return ops::bce_with_logits(outputs, rows, t.values);
    case Loss::kMse:
      return ops::mse_loss(outputs, rows, t.values);
    case Loss::kL1:
      return ops::l1_loss(outputs, rows, t.values);
  }
  throw Error("task: unknown loss");
}

Tensor<float> task_predictions(const Task& task, Var<float> outputs) {
  if (task.kind == TaskKind::kMultiClass) return ops::log_softmax(outputs).value();
  return outputs.value();
}

double Scores::metric(const std::string& name) const {
  for (const auto& [n, v] : metrics) {
    if (n == name) return v;
  }
  throw Error("scores: no metric '" + name + "'");
}

Scores score(const Task& task, const Tensor<float>& p, const Targets& t) {
  Scores s;
  const std::size_t n = t.size();
  if (n == 0) return s;
  if (task.kind == TaskKind::kMultiClass) {
    // Cross-entropy from log-probabilities, summed in double.
    double loss = 0;
    for (std::size_t k = 0; k < n; ++k)
      loss -= p(std::size_t(t.rows[k]), std::size_t(t.classes[k]));
    s.loss = loss / double(n);
    const std::vector<std::int32_t> predicted =
        predicted_classes(p, std::span<const NodeId>(t.rows));
    const std::span<const std::int32_t> truth(t.classes);
    s.metrics = {{"accuracy", accuracy(std::span<const std::int32_t>(predicted), truth)},
                 {"micro_f1", micro_f1(predicted, truth)},
                 {"macro_f1", macro_f1(predicted, truth)}};
    return s;
  }
  const std::size_t cols = t.values.cols();
  double loss = 0;
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t c = 0; c < cols; ++c) {
      const double x = p(std::size_t(t.rows[k]), c), y = t.values(k, c);
      switch (task.loss) {
        case Loss::kBceWithLogits:
          loss += std::max(x, 0.0) - x * y + std::log1p(std::exp(-std::abs(x)));
          break;
        case Loss::kMse:
          loss += (x - y) * (x - y);
          break;
        case Loss::kL1:
          loss += std::abs(x - y);
          break;
        case Loss::kCrossEntropy:
          break;
      }
    }
  }
  s.loss = loss / double(n * cols);
  if (task.kind == TaskKind::kBinary) {
    // Per answer, then the mean over answers where it is defined (as OGB).
    double auc = 0, ap = 0, correct = 0;
    int defined_auc = 0, defined_ap = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      std::vector<double> scores(n);
      std::vector<std::uint8_t> positive(n);
      for (std::size_t k = 0; k < n; ++k) {
        scores[k] = p(std::size_t(t.rows[k]), c);
        positive[k] = t.values(k, c) > 0.5f;
        correct += (scores[k] > 0) == bool(positive[k]);
      }
      const double a = roc_auc(scores, positive), b = average_precision(scores, positive);
      if (!std::isnan(a)) auc += a, ++defined_auc;
      if (!std::isnan(b)) ap += b, ++defined_ap;
    }
    const double nan = std::nan("");
    s.metrics = {{"roc_auc", defined_auc ? auc / defined_auc : nan},
                 {"average_precision", defined_ap ? ap / defined_ap : nan},
                 {"accuracy", correct / double(n * cols)}};
    return s;
  }
  std::vector<double> predicted, truth;
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t c = 0; c < cols; ++c) {
      predicted.push_back(p(std::size_t(t.rows[k]), c));
      truth.push_back(t.values(k, c));
    }
  }
  s.metrics = {{"rmse", rmse(predicted, truth)}, {"mae", mae(predicted, truth)}};
  return s;
}

}  // namespace heed::train
