#pragma once
// `heed import --pyg DIR --out M` and `heed export --pyg --model M --out DIR`:
// models that PyTorch Geometric trained, as heed checkpoints, and back
// (heed/interop/pyg_model.hpp has the layout).
#include <CLI/CLI.hpp>
#include <string>

namespace heed::cli {

struct ImportConfig {
  std::string pyg;  // the folder with model.json and model.safetensors
  std::string out;  // the checkpoint to write
};

struct ExportConfig {
  bool pyg = false;
  std::string model;  // a checkpoint
  std::string out;    // the folder to write
};

CLI::App* add_import_command(CLI::App& app, ImportConfig& config);
int run_import(const ImportConfig& config);
CLI::App* add_export_command(CLI::App& app, ExportConfig& config);
int run_export(const ExportConfig& config);

}  // namespace heed::cli
