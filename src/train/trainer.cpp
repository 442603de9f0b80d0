#include "heed/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "heed/error.hpp"
#include "heed/tensor/buffer_cache.hpp"
#include "heed/train/early_stopping.hpp"
#include "heed/train/full_graph_source.hpp"
#include "heed/train/smoothness.hpp"

namespace heed::train {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDiverged =
    "; the model diverged: try a lower learning rate (lr), normalisation or fewer layers";

// A NaN or infinite gradient would poison every parameter at the next step;
// stop with the epoch and the parameter instead.
void check_gradients(const std::vector<Parameter<float>*>& params, int epoch) {
  for (std::size_t k = 0; k < params.size(); ++k) {
    for (float g : params[k]->grad.values()) {
      if (!std::isfinite(g)) {
        throw Error("epoch " + std::to_string(epoch) + ": the gradient of parameter " +
                    std::to_string(k) + " ('" + params[k]->name + "') is not finite" + kDiverged);
      }
    }
  }
}

// How the run selects its kept epoch.
struct Selection {
  EarlyStopping::Rule rule = EarlyStopping::Rule::kLossAndScore;
  std::string metric;
  bool higher_better = true;
  double stopping_score(const Scores& s) const {
    const double v = s.metric(metric);
    return higher_better ? v : -v;
  }
};

Selection selection(const TrainOptions& o, const Task& task) {
  Selection s;
  if (o.select == "paper" || o.select == "loss") {
    s.rule = o.select == "paper" ? EarlyStopping::Rule::kLossAndScore : EarlyStopping::Rule::kLoss;
    s.metric = task.main_metric();
  } else {
    try {
      check_metric(task, o.select);
    } catch (const Error& e) {
      throw Error(std::string("training: select: ") + e.what() + ", 'paper' or 'loss'");
    }
    s.rule = EarlyStopping::Rule::kScore;
    s.metric = o.select;
  }
  s.higher_better = higher_is_better(s.metric);
  return s;
}

// The predictions of the parts that `wanted` names, gathered over the
// source's evaluation batches into one table (rows renumbered in batch order).
struct PartPredictions {
  Tensor<float> predictions;
  Targets targets;
};

void append(PartPredictions& into, const Tensor<float>& predictions, const Targets& t) {
  const std::size_t cols = predictions.cols();
  const std::size_t first = into.targets.rows.size();
  Tensor<float> grown(first + t.size(), cols);
  if (first > 0) std::copy_n(into.predictions.data(), first * cols, grown.data());
  Tensor<float> values(first + t.size(), t.values.cols());
  if (first > 0 && !into.targets.values.empty()) {
    std::copy_n(into.targets.values.data(), into.targets.values.size(), values.data());
  }
  for (std::size_t k = 0; k < t.size(); ++k) {
    std::copy_n(predictions.row(std::size_t(t.rows[k])).data(), cols, grown.row(first + k).data());
    into.targets.rows.push_back(NodeId(first + k));
    if (!t.classes.empty()) into.targets.classes.push_back(t.classes[k]);
    if (!t.values.empty())
      std::copy_n(t.values.row(k).data(), t.values.cols(), values.row(first + k).data());
  }
  into.predictions = std::move(grown);
  into.targets.values = std::move(values);
}

struct Evaluation {
  std::array<Scores, 3> parts;
  std::array<bool, 3> present{};
  Tensor<float> last_hidden;  // of the first batch, if asked for
  const Graph* graph = nullptr;
};

// A forward pass without dropout over the evaluation batches, scored on the
// wanted parts. With a single batch, its predictions are scored in place.
Evaluation evaluate(nn::Model<float>& model, BatchSource& source, std::array<bool, 3> wanted,
                    const std::shared_ptr<BufferCache>& cache, bool with_hidden = false) {
  const Task& task = source.task();
  Evaluation result;
  std::array<PartPredictions, 3> gathered;
  int batches = 0;
  std::array<const Targets*, 3> only{};
  Tensor<float> only_predictions;
  source.evaluation_batches([&](const Batch& b) {
    Tape<float> tape(cache, Tape<float>::Gradients::kOff);
    Tensor<float>* hidden = with_hidden && batches == 0 ? &result.last_hidden : nullptr;
    if (hidden) result.graph = b.input.graph;
    const Var<float> out =
        model.forward(tape, b.input, nn::ForwardContext{false, 0}, {.last_hidden = hidden});
    Tensor<float> predictions = task_predictions(task, out);
    if (batches == 0) {
      only = b.targets;
      only_predictions = predictions;
    } else {
      if (batches == 1) {
        for (std::size_t p = 0; p < 3; ++p) {
          if (wanted[p] && only[p]) append(gathered[p], only_predictions, *only[p]);
        }
      }
      for (std::size_t p = 0; p < 3; ++p) {
        if (wanted[p] && b.targets[p]) append(gathered[p], predictions, *b.targets[p]);
      }
    }
    ++batches;
  });
  for (std::size_t p = 0; p < 3; ++p) {
    if (!wanted[p]) continue;
    if (batches == 1) {
      if (!only[p]) continue;
      result.parts[p] = score(task, only_predictions, *only[p]);
    } else {
      if (gathered[p].targets.size() == 0) continue;
      result.parts[p] = score(task, gathered[p].predictions, gathered[p].targets);
    }
    result.present[p] = true;
  }
  return result;
}

constexpr std::array<bool, 3> kValidOnly{false, true, false};
constexpr std::array<bool, 3> kEveryPart{true, true, true};

}  // namespace

FitResult fit(nn::Model<float>& model, BatchSource& source, const TrainOptions& options, Rng& rng,
              const std::function<void(const EpochReport&)>& on_epoch,
              const TrainingState* resume) {
  if (options.max_epochs < 1) {
    throw Error("training: max_epochs must be >= 1, got " + std::to_string(options.max_epochs));
  }
  const Task& task = source.task();
  task.validate();
  if (model.spec().out_channels != task.outputs) {
    throw Error("training: the model has " + std::to_string(model.spec().out_channels) +
                " outputs, the task needs " + std::to_string(task.outputs));
  }
  const Selection select = selection(options, task);
  const auto start = Clock::now();
  std::vector<Parameter<float>*> params = model.parameters();
  optim::Adam<float> adam(params, options.adam);
  EarlyStopping stopping(options.patience, select.rule);
  // Every step of a full graph asks for the same buffers: they stay mapped
  // from one step to the next.
  const auto cache = std::make_shared<BufferCache>();

  std::vector<Tensor<float>> kept;
  auto keep = [&] {
    kept.clear();
    for (Parameter<float>* p : params) kept.push_back(p->value);
  };
  keep();

  FitResult result;
  double kept_val_score = 0;
  int first_epoch = 1;
  double seconds_before = 0;  // spent before a resume
  if (resume) {
    if (resume->kept.size() != params.size()) {
      throw Error("resume: the saved state keeps " + std::to_string(resume->kept.size()) +
                  " parameters, the model has " + std::to_string(params.size()));
    }
    for (std::size_t k = 0; k < params.size(); ++k) {
      if (!resume->kept[k].same_shape(params[k]->value)) {
        throw Error("resume: kept parameter " + std::to_string(k) + " has the wrong shape");
      }
    }
    adam.restore(resume->adam);
    stopping.restore(resume->epochs_without_improvement, resume->best_loss, resume->best_score);
    kept = resume->kept;
    std::istringstream in(resume->rng);
    in >> rng.engine();
    if (!in) throw Error("resume: the saved random state is unreadable");
    result.best_epoch = resume->best_epoch;
    result.val_loss = resume->kept_val_loss;
    kept_val_score = resume->kept_val_score;
    result.epochs_run = resume->epoch;
    first_epoch = resume->epoch + 1;
    seconds_before = resume->seconds;
  }
  auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(Clock::now() - start).count();
  };
  for (int epoch = first_epoch; epoch <= options.max_epochs; ++epoch) {
    if (options.lr_step > 0) {
      adam.set_lr(options.adam.lr * std::pow(options.lr_decay, (epoch - 1) / options.lr_step));
    }
    double train_loss = 0;
    int steps = 0;
    source.training_batches(rng.seed(), epoch, [&](const Batch& b) {
      const Targets* targets = b.of(Part::kTrain);
      if (targets == nullptr || targets->size() == 0) return;
      adam.zero_grad();
      {
        Tape<float> tape(cache);
        Var<float> out = model.forward(tape, b.input, nn::ForwardContext{true, rng.next_key()});
        Var<float> loss = task_loss(task, out, *targets);
        const double value = loss.value()(0, 0);
        if (!std::isfinite(value)) {
          throw Error("epoch " + std::to_string(epoch) + ": the training loss is not finite (" +
                      std::to_string(value) + ")" + kDiverged);
        }
        train_loss += value;
        tape.backward(loss);
      }
      check_gradients(params, epoch);
      adam.step();
      ++steps;
    });
    if (steps == 0) throw Error("training: the source gave no training batch with targets");
    train_loss /= steps;

    const Evaluation eval = evaluate(model, source, kValidOnly, cache);
    if (!eval.present[1]) throw Error("training: the source has no validation targets");
    const Scores& val = eval.parts[1];
    const double val_metric = val.metric(select.metric);
    const EarlyStopping::Decision decision = stopping.update(val.loss, select.stopping_score(val));
    if (decision.keep_model) {
      keep();
      result.best_epoch = epoch;
      result.val_loss = val.loss;
      kept_val_score = val_metric;
    }
    result.epochs_run = epoch;
    if (on_epoch) {
      on_epoch(EpochReport{epoch, train_loss, val.loss, select.metric, val_metric,
                           stopping.epochs_without_improvement(), elapsed()});
    }
    if (decision.stop) break;
    if (options.checkpoint_every > 0 && options.on_checkpoint &&
        epoch % options.checkpoint_every == 0) {
      std::ostringstream engine;
      engine << rng.engine();
      options.on_checkpoint(
          TrainingState{epoch, adam.state(), stopping.epochs_without_improvement(),
                        stopping.best_loss(), stopping.best_score(), kept, result.best_epoch,
                        result.val_loss, kept_val_score, engine.str(), elapsed()});
    }
  }

  for (std::size_t i = 0; i < params.size(); ++i) params[i]->value = kept[i];
  const Evaluation final_eval =
      evaluate(model, source, kEveryPart, cache, options.measure_smoothness);
  for (Part part : kParts) {
    const std::size_t p = std::size_t(part);
    if (!final_eval.present[p]) continue;
    std::map<std::string, double>& m = result.metrics[nn::name_of(part)];
    m["loss"] = final_eval.parts[p].loss;
    for (const auto& [name, value] : final_eval.parts[p].metrics) m[name] = value;
  }
  if (task.kind == TaskKind::kMultiClass) {
    if (final_eval.present[1]) result.val_accuracy = final_eval.parts[1].metric("accuracy");
    if (final_eval.present[2]) result.test_accuracy = final_eval.parts[2].metric("accuracy");
  }
  if (options.measure_smoothness && final_eval.graph) {
    result.mean_pairwise_distance = mean_pairwise_distance(final_eval.last_hidden);
    result.dirichlet_energy = dirichlet_energy(final_eval.last_hidden, *final_eval.graph);
  }
  result.seconds = elapsed();
  return result;
}

FitResult fit(nn::Model<float>& model, const data::Dataset& dataset, const TrainOptions& options,
              Rng& rng, const std::function<void(const EpochReport&)>& on_epoch,
              const TrainingState* resume) {
  FullGraphSource source(dataset, options.split,
                         nn::model_input_graph(model.spec(), dataset.graph));
  try {
    return fit(model, source, options, rng, on_epoch, resume);
  } catch (const Error& e) {
    // Name the dataset in what the loop reports.
    const std::string what = e.what();
    if (what.rfind(dataset.name + ":", 0) == 0) throw;
    throw Error(dataset.name + ": " + what);
  }
}

}  // namespace heed::train
