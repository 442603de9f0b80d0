#include "pyg_commands.hpp"

#include <fmt/core.h>

#include "heed/interop/pyg_model.hpp"

namespace heed::cli {
namespace {

std::string layer_flow(const nn::ModelSpec& spec) {
  std::string flow;
  for (const nn::ModuleSpec& m : spec.modules) flow += (flow.empty() ? "" : " -> ") + m.kind;
  return flow;
}

std::size_t parameter_count(const train::Checkpoint& c) {
  std::size_t n = 0;
  for (const auto& p : c.parameters) n += p.second.size();
  return n;
}

}  // namespace

CLI::App* add_import_command(CLI::App& app, ImportConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Make a heed checkpoint of a model another framework trained: --pyg DIR reads PyTorch "
      "Geometric's model.json and model.safetensors (docs/pyg-interop.md)");
  cmd->add_option("--pyg", c.pyg, "Folder with model.json and model.safetensors")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", c.out, "Checkpoint to write")->required();
  return cmd;
}

int run_import(const ImportConfig& c) {
  const train::Checkpoint checkpoint = interop::import_pyg(c.pyg);
  train::save_checkpoint(c.out, checkpoint);
  fmt::print(stderr, "imported {} ({} parameters) from {} to {}\n", layer_flow(checkpoint.spec),
             parameter_count(checkpoint), c.pyg, c.out);
  return 0;
}

CLI::App* add_export_command(CLI::App& app, ExportConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a heed checkpoint for another framework: --pyg writes PyTorch Geometric's "
      "model.json and model.safetensors (docs/pyg-interop.md)");
  cmd->add_flag("--pyg", c.pyg, "As PyTorch Geometric modules and a state_dict")->required();
  cmd->add_option("--model", c.model, "Checkpoint (heed train --save, heed import)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", c.out, "Folder to write (created if missing)")->required();
  return cmd;
}

int run_export(const ExportConfig& c) {
  const train::Checkpoint checkpoint = train::load_checkpoint(c.model);
  interop::export_pyg(checkpoint, c.out);
  fmt::print(stderr, "exported {} ({} parameters) to {}/model.json and model.safetensors\n",
             checkpoint.spec.model, parameter_count(checkpoint), c.out);
  return 0;
}

}  // namespace heed::cli
