#pragma once
// A node-classification dataset as heed's on-disk layout holds it (the
// shared data's "layout A": meta.json, edge.csv.gz, node-feat.csv.gz,
// node-label.csv.gz, split/<name>/{train,valid,test}.csv.gz), for converters
// that make one from another format.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace heed::data {

struct NodeDatasetFiles {
  std::string name;
  std::size_t num_nodes = 0;
  std::size_t num_features = 0;
  int num_classes = 0;
  std::vector<float> features;                               // num_nodes x num_features, row-major
  std::vector<std::int64_t> labels;                          // -1: no label
  std::vector<std::pair<std::int64_t, std::int64_t>> edges;  // (src, dst), sorted, unique
  struct Split {
    std::vector<std::int64_t> train, valid, test;  // ascending
  };
  std::map<std::string, Split> splits;
  std::string source;
  std::string license;
};

/// Writes the dataset's files into `folder` (created if needed), each through
/// an atomic rename and gzip_bytes, so the same dataset gives the same bytes.
/// Features are written with up to 6 significant digits ("0" and "1" for
/// binary ones).
void write_node_dataset(const NodeDatasetFiles& dataset, const std::filesystem::path& folder);

}  // namespace heed::data
