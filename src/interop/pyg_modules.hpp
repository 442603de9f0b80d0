#pragma once
// How each PyG module maps onto a heed module: its class and constructor
// arguments (model.json), and its state_dict tensors' names and layouts
// (model.safetensors). Import and export both read these tables, so the two
// directions cannot disagree.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "heed/data/safetensors.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::interop {

/// How PyG lays out a tensor that heed keeps as a 2-D matrix.
enum class Layout {
  kTransposed,  // torch.nn.Linear's weight, out x in; heed's is in x out
  kHeads,       // an attention vector, [1, heads, channels]; heed's is 1 x heads*channels
  kVector,      // a bias, [n]; heed's is 1 x n
};

struct TensorName {
  std::string heed;  // the heed parameter's name
  std::string pyg;   // its state_dict name within the module ("lin_src.weight")
  Layout layout;
};

struct ModuleTensors {
  std::vector<TensorName> tensors;
  /// state_dict names that repeat another (PyG lists a shared Linear under
  /// both attribute names): alias, original.
  std::vector<std::pair<std::string, std::string>> aliases;
  /// PyG tensors that a heed module without them computes as zero (GATv2's
  /// projection biases when heed trained without them): name, length.
  std::vector<std::pair<std::string, std::int64_t>> zeros;
};

/// The tensors of module `m` (empty for activations and dropout).
ModuleTensors module_tensors(const nn::ModuleSpec& m);

/// A layer of model.json as a heed module; heed::Error, prefixed by
/// `where`, naming the class or argument it cannot take and why.
nn::ModuleSpec module_from_pyg(const nlohmann::json& layer, const std::string& where);
/// The module as a layer of model.json; heed::Error if PyG has no such
/// module.
nlohmann::json module_to_pyg(const nn::ModuleSpec& m);

/// A heed parameter in PyG's layout, and back (heed::Error, prefixed by
/// `where`, for a wrong dtype or shape). `m` gives the heads of kHeads.
data::SafeTensor to_pyg(const Tensor<float>& value, Layout layout, const nn::ModuleSpec& m);
Tensor<float> from_pyg(const data::SafeTensor& t, Layout layout, const nn::ModuleSpec& m,
                       std::size_t rows, std::size_t cols, const std::string& where);

}  // namespace heed::interop
