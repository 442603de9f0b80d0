#include "heed/data/graph_dataset.hpp"

#include "heed/error.hpp"

namespace heed::data {

bool is_graph_dataset(const std::filesystem::path& folder) {
  return is_tu_dataset(folder) || is_smiles_dataset(folder);
}

GraphDataset read_graph_dataset(const std::filesystem::path& folder,
                                const GraphReadOptions& options) {
  if (is_tu_dataset(folder)) return read_tu_dataset(folder);
  if (is_smiles_dataset(folder)) return read_smiles_dataset(folder, options);
  throw Error(folder.string() +
              ": not a graph dataset heed reads (a TUDataset folder, or a CSV of SMILES)");
}

}  // namespace heed::data
