#include "predict_command.hpp"

#include <fmt/core.h>

#include "heed/data/atomic_file.hpp"

namespace heed::cli {

CLI::App* add_predict_command(CLI::App& app, PredictConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Write a saved model's outputs (logits, before any softmax) in eval mode as CSV: one line "
      "per node, one value per class, 9 significant digits, no header");
  add_model_options(*cmd, c.model);
  cmd->add_option("--out", c.out, "CSV file to write")->required();
  return cmd;
}

int run_predict(const PredictConfig& c) {
  TrainedModel trained(c.model);
  const Tensor<float> logits = trained.logits();
  data::AtomicFile file(c.out);
  std::string chunk;
  for (std::size_t i = 0; i < logits.rows(); ++i) {
    for (std::size_t k = 0; k < logits.cols(); ++k) {
      fmt::format_to(std::back_inserter(chunk), "{}{:.9g}", k ? "," : "", logits(i, k));
    }
    chunk += '\n';
    if (chunk.size() > (1 << 20)) {
      file.write(chunk);
      chunk.clear();
    }
  }
  file.write(chunk);
  file.commit();
  fmt::print(stderr, "wrote {} x {} outputs of {} to {}\n", logits.rows(), logits.cols(),
             trained.dataset().name, c.out);
  return 0;
}

}  // namespace heed::cli
