#include "heed/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/train/early_stopping.hpp"
#include "heed/train/metrics.hpp"
#include "heed/train/smoothness.hpp"

namespace heed::train {
namespace {

using Clock = std::chrono::steady_clock;

void check_rows(const data::Dataset& dataset, std::span<const NodeId> rows, const char* what) {
  if (rows.empty()) throw Error(dataset.name + ": the " + std::string(what) + " set is empty");
  for (NodeId r : rows) {
    if (dataset.y[std::size_t(r)] < 0) {
      throw Error(dataset.name + ": " + what + " node " + std::to_string(r) + " has no label");
    }
  }
}

// A NaN or infinite gradient would poison every parameter at the next step;
// stop with the epoch and the parameter instead.
void check_gradients(const std::vector<Parameter<float>*>& params, const std::string& dataset,
                     int epoch) {
  for (std::size_t k = 0; k < params.size(); ++k) {
    for (float g : params[k]->grad.values()) {
      if (!std::isfinite(g)) {
        throw Error(dataset + ": epoch " + std::to_string(epoch) + ": the gradient of parameter " +
                    std::to_string(k) + " ('" + params[k]->name +
                    "') is not finite; the model diverged: try a lower --lr, normalisation or "
                    "fewer layers");
      }
    }
  }
}

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

// A forward pass without dropout; only the log-probabilities are kept.
Tensor<float> predict(nn::NodeModel<float>& model, const nn::NodeFeatures<float>& x,
                      const Graph& graph, Tensor<float>* last_hidden = nullptr) {
  Tape<float> tape;
  return model.forward(tape, x, graph, nn::ForwardContext{false, 0}, {.last_hidden = last_hidden})
      .value();
}

Evaluation evaluate(const Tensor<float>& log_probs, std::span<const std::int32_t> labels,
                    std::span<const NodeId> rows) {
  double loss = 0;
  for (NodeId r : rows) loss -= log_probs(std::size_t(r), std::size_t(labels[std::size_t(r)]));
  return {loss / double(rows.size()), accuracy(log_probs, labels, rows)};
}

}  // namespace

FitResult fit(nn::NodeModel<float>& model, const data::Dataset& dataset,
              const TrainOptions& options, Rng& rng,
              const std::function<void(const EpochReport&)>& on_epoch,
              const TrainingState* resume) {
  if (options.max_epochs < 1) {
    throw Error("training: max_epochs must be >= 1, got " + std::to_string(options.max_epochs));
  }
  const data::Split& split = dataset.split(options.split);
  check_rows(dataset, split.train, "training");
  check_rows(dataset, split.valid, "validation");
  check_rows(dataset, split.test, "test");

  const auto start = Clock::now();
  const Graph graph = dataset.graph.with_self_loops();
  const nn::NodeFeatures<float> x(dataset.x);  // its sparse form is built once
  const std::span<const std::int32_t> labels(dataset.y);
  std::vector<Parameter<float>*> params = model.parameters();
  optim::Adam<float> adam(params, options.adam);
  EarlyStopping stopping(options.patience);

  std::vector<Tensor<float>> kept;
  auto keep = [&] {
    kept.clear();
    for (Parameter<float>* p : params) kept.push_back(p->value);
  };
  keep();

  FitResult result;
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
    stopping.restore(resume->epochs_without_improvement, resume->best_loss, resume->best_accuracy);
    kept = resume->kept;
    std::istringstream in(resume->rng);
    in >> rng.engine();
    if (!in) throw Error("resume: the saved random state is unreadable");
    result.best_epoch = resume->best_epoch;
    result.val_loss = resume->kept_val_loss;
    result.val_accuracy = resume->kept_val_accuracy;
    result.epochs_run = resume->epoch;
    first_epoch = resume->epoch + 1;
    seconds_before = resume->seconds;
  }
  auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(Clock::now() - start).count();
  };
  for (int epoch = first_epoch; epoch <= options.max_epochs; ++epoch) {
    adam.zero_grad();
    double train_loss = 0;
    {
      Tape<float> tape;
      Var<float> logp = model.forward(tape, x, graph, nn::ForwardContext{true, rng.next_key()});
      Var<float> loss = ops::nll_loss(logp, labels, std::span<const NodeId>(split.train));
      train_loss = loss.value()(0, 0);
      if (!std::isfinite(train_loss)) {
        throw Error(dataset.name + ": epoch " + std::to_string(epoch) +
                    ": the training loss is not finite (" + std::to_string(train_loss) +
                    "); the model diverged: try a lower --lr, normalisation or fewer layers");
      }
      tape.backward(loss);
    }
    check_gradients(params, dataset.name, epoch);
    adam.step();

    const Evaluation val = evaluate(predict(model, x, graph), labels, split.valid);
    const EarlyStopping::Decision decision = stopping.update(val.loss, val.accuracy);
    if (decision.keep_model) {
      keep();
      result.best_epoch = epoch;
      result.val_loss = val.loss;
      result.val_accuracy = val.accuracy;
    }
    result.epochs_run = epoch;
    if (on_epoch) {
      on_epoch(EpochReport{epoch, train_loss, val.loss, val.accuracy,
                           stopping.epochs_without_improvement(), elapsed()});
    }
    if (decision.stop) break;
    if (options.checkpoint_every > 0 && options.on_checkpoint &&
        epoch % options.checkpoint_every == 0) {
      std::ostringstream engine;
      engine << rng.engine();
      options.on_checkpoint(
          TrainingState{epoch, adam.state(), stopping.epochs_without_improvement(),
                        stopping.best_loss(), stopping.best_accuracy(), kept, result.best_epoch,
                        result.val_loss, result.val_accuracy, engine.str(), elapsed()});
    }
  }

  for (std::size_t i = 0; i < params.size(); ++i) params[i]->value = kept[i];
  Tensor<float> hidden;
  result.test_accuracy =
      accuracy(predict(model, x, graph, options.measure_smoothness ? &hidden : nullptr), labels,
               std::span<const NodeId>(split.test));
  if (options.measure_smoothness) {
    result.mean_pairwise_distance = mean_pairwise_distance(hidden);
    result.dirichlet_energy = dirichlet_energy(hidden, graph);
  }
  result.seconds = elapsed();
  return result;
}

}  // namespace heed::train
