#pragma once
// A PyTorch Geometric model as two files in a folder, and back:
//
//   model.json          {"layers": [{"name": "conv1", "cls": "GATConv",
//                         "in_channels": 1433, ...}, {"name": "act1",
//                         "cls": "ELU"}, ...], "input": {...}}
//   model.safetensors   the model's state_dict() under PyG's own names
//
// The layers run in order (a heed sequential model). heed reads GATConv,
// GATv2Conv, GCNConv, Linear, ELU, ReLU and Dropout with their PyG
// constructor arguments, and refuses anything else with the module's name
// and the reason. PyG's conventions are translated, not copied: Linear
// stores W as out x in (heed: in x out), attention vectors are
// [1, heads, channels] (heed: 1 x heads*channels), biases are vectors.
// The layout is described in docs/pyg-interop.md.
#include <filesystem>

#include "heed/train/checkpoint.hpp"

namespace heed::interop {

/// The model in DIR/model.json and DIR/model.safetensors as a checkpoint of
/// a sequential model. Every tensor of the state_dict must be used, and
/// every tensor the model needs must be there with PyG's shape; heed::Error
/// names the file, the module and the tensor otherwise. If model.json's
/// "input" names a dataset, the checkpoint records it (features
/// row-normalised if "input.features" says so).
train::Checkpoint import_pyg(const std::filesystem::path& dir);

/// Writes the checkpoint's model as DIR/model.json and DIR/model.safetensors
/// (F32), each through a temporary file and a rename; DIR is created if
/// missing. A stack of GATConv, GATv2Conv or GCNConv layers without residuals
/// or normalisation, and sequential models of the modules import_pyg reads,
/// can be written; heed::Error says why another cannot.
void export_pyg(const train::Checkpoint& checkpoint, const std::filesystem::path& dir);

}  // namespace heed::interop
