#include "eval_command.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "heed/train/metrics.hpp"

namespace heed::cli {

CLI::App* add_eval_command(CLI::App& app, EvalConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Accuracy of a saved model (heed train --save) on the train, validation and test "
      "nodes");
  add_model_options(*cmd, c.model);
  cmd->add_option("--split", c.split, "Named split (default: the one it was trained with)");
  cmd->add_flag("--json", c.json, "Write results as JSON to stdout");
  return cmd;
}

int run_eval(const EvalConfig& c) {
  TrainedModel trained(c.model);
  const data::Dataset& d = trained.dataset();
  const std::string split_name = c.split.value_or(trained.split());
  const data::Split& split = d.split(split_name);
  const Tensor<float> log_probs = trained.infer();
  const std::span<const std::int32_t> labels(d.y);
  auto score = [&](const std::vector<NodeId>& rows) {
    return rows.empty() ? 0.0 : train::accuracy(log_probs, labels, std::span<const NodeId>(rows));
  };
  const double train_acc = score(split.train), val_acc = score(split.valid),
               test_acc = score(split.test);
  const nlohmann::json metadata = nlohmann::json::parse(trained.checkpoint().metadata);
  if (c.json) {
    nlohmann::json j = {{"model", c.model.path},       {"kind", trained.checkpoint().spec.model},
                        {"dataset", d.name},           {"split", split_name},
                        {"train_accuracy", train_acc}, {"val_accuracy", val_acc},
                        {"test_accuracy", test_acc},   {"trained", metadata}};
    std::puts(j.dump(2).c_str());
  } else {
    fmt::print("{} ({}) on {}, split {}\n", c.model.path, trained.checkpoint().spec.model, d.name,
               split_name);
    fmt::print("train accuracy: {:.4f}\nval accuracy:   {:.4f}\ntest accuracy:  {:.4f}\n",
               train_acc, val_acc, test_acc);
  }
  return 0;
}

}  // namespace heed::cli
