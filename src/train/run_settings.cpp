#include "heed/train/run_settings.hpp"

#include <nlohmann/json.hpp>

#include "heed/error.hpp"

namespace heed::train {
namespace {

nlohmann::json settings_json(const RunSettings& s, const std::string& dataset) {
  return {{"dataset", dataset},
          {"source", s.source},
          {"split", s.training.split},
          {"seed", s.seed},
          {"training",
           {{"lr", s.training.adam.lr},
            {"weight_decay", s.training.adam.weight_decay},
            {"max_epochs", s.training.max_epochs},
            {"patience", s.training.patience},
            {"select", s.training.select},
            {"lr_step", s.training.lr_step},
            {"lr_decay", s.training.lr_decay},
            {"checkpoint_every", s.checkpoint_every}}}};
}

nlohmann::json metadata_of(const Checkpoint& c) {
  try {
    return nlohmann::json::parse(c.metadata);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();
  }
}

}  // namespace

std::string run_metadata(const RunSettings& settings, const std::string& dataset) {
  return settings_json(settings, dataset).dump();
}

std::string model_metadata(const RunSettings& settings, const std::string& dataset,
                           const FitResult& fit) {
  nlohmann::json j = settings_json(settings, dataset);
  j["epochs"] = fit.epochs_run;
  j["best_epoch"] = fit.best_epoch;
  j["val_accuracy"] = fit.val_accuracy;
  j["test_accuracy"] = fit.test_accuracy;
  j["metrics"] = fit.metrics;
  return j.dump();
}

Checkpoint run_checkpoint(nn::Model<float>& model, const RunSettings& settings,
                          const std::string& dataset, const TrainingState& state) {
  Checkpoint c = make_checkpoint(model, run_metadata(settings, dataset));
  put_training_state(c, state);
  return c;
}

SavedRun load_saved_run(const std::filesystem::path& path) {
  const std::string where = path.string();
  SavedRun run{load_checkpoint(path), {}, {}};
  std::optional<TrainingState> state = training_state(run.checkpoint, where);
  if (!state) throw Error(where + ": holds no training state (a run saves one with a checkpoint)");
  run.state = std::move(*state);
  const nlohmann::json m = metadata_of(run.checkpoint);
  try {
    RunSettings& s = run.settings;
    s.source = data::dataset_source_from_json(m.at("source"), where);
    s.training.split = m.at("split").get<std::string>();
    s.seed = m.at("seed").get<std::uint64_t>();
    const nlohmann::json& t = m.at("training");
    s.training.adam.lr = t.at("lr").get<double>();
    s.training.adam.weight_decay = t.at("weight_decay").get<double>();
    s.training.max_epochs = t.at("max_epochs").get<int>();
    s.training.patience = t.at("patience").get<int>();
    s.training.select = t.contains("select") ? t.at("select").get<std::string>() : "paper";
    s.checkpoint_every = t.at("checkpoint_every").get<int>();
    // Runs saved before the learning-rate schedule had none.
    s.training.lr_step = t.value("lr_step", 0);
    s.training.lr_decay = t.value("lr_decay", 0.5);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": the saved run settings are incomplete (" + e.what() + ")");
  }
  return run;
}

std::optional<data::DatasetSource> saved_source(const Checkpoint& checkpoint,
                                                const std::string& context) {
  const nlohmann::json m = metadata_of(checkpoint);
  if (!m.contains("source")) return std::nullopt;
  return data::dataset_source_from_json(m["source"], context);
}

std::string saved_split(const Checkpoint& checkpoint) {
  const nlohmann::json m = metadata_of(checkpoint);
  if (m.contains("split") && m["split"].is_string()) return m["split"];
  return "public";
}

std::optional<std::uint64_t> saved_seed(const Checkpoint& checkpoint) {
  const nlohmann::json m = metadata_of(checkpoint);
  if (m.contains("seed") && m["seed"].is_number_unsigned()) return m["seed"].get<std::uint64_t>();
  return std::nullopt;
}

}  // namespace heed::train
