#pragma once
// A node-classification dataset and the reader for heed's on-disk layout
// (OGB-style raw folders, documented in docs/data-format.md):
//   meta.json, edge.csv.gz, node-feat.csv.gz, node-label.csv.gz,
//   split/<name>/{train,valid,test}.csv.gz
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "heed/graph/graph.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::data {

struct Split {
  std::vector<NodeId> train, valid, test;
};

struct Dataset {
  std::string name;
  std::filesystem::path path;   // empty for generated datasets
  Tensor<float> x;              // num_nodes x num_features
  std::vector<std::int32_t> y;  // one class per node, -1 for unlabelled
  int num_classes = 0;
  Graph graph;  // as stored: no self loops added
  std::map<std::string, Split> splits;

  std::int64_t num_nodes() const { return graph.num_nodes(); }
  int num_features() const { return int(x.cols()); }
  /// The named split, or heed::Error listing the ones there are.
  const Split& split(const std::string& name) const;
};

struct LoadOptions {
  /// Divide each feature row by its sum (the GAT and GCN papers' preprocessing).
  bool normalise_features = false;
};

/// Where `heed data download` keeps datasets: $HEED_DATA if set, else
/// ~/.cache/heed; empty if neither variable is set.
std::filesystem::path dataset_cache_folder();

/// Finds a dataset folder: `name_or_path` itself if it is a folder, else
/// <cache>/<name> (dataset_cache_folder(); the name also in lower case, as
/// downloads are stored), else ../shared/data/<name> (relative to the working
/// directory). Throws heed::Error listing where it looked.
std::filesystem::path resolve_dataset(const std::string& name_or_path);

/// Reads a dataset folder. Malformed input throws heed::Error naming the
/// file, the line and the problem.
Dataset load_dataset(const std::string& name_or_path, const LoadOptions& options = {});

/// Divides every row by its sum; all-zero rows stay zero.
void normalise_rows(Tensor<float>& x);

}  // namespace heed::data
