#include "heed/data/node_dataset_files.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "heed/data/atomic_file.hpp"
#include "heed/data/gzip_bytes.hpp"
#include "heed/error.hpp"

namespace heed::data {
namespace fs = std::filesystem;
namespace {

std::string id_lines(const std::vector<std::int64_t>& ids) {
  std::string text;
  for (std::int64_t id : ids) fmt::format_to(std::back_inserter(text), "{}\n", id);
  return text;
}

}  // namespace

void write_node_dataset(const NodeDatasetFiles& d, const fs::path& folder) {
  if (d.features.size() != d.num_nodes * d.num_features || d.labels.size() != d.num_nodes) {
    throw Error(folder.string() + ": features or labels do not match " +
                std::to_string(d.num_nodes) + " nodes");
  }
  fs::create_directories(folder);
  std::string edges;
  for (const auto& [src, dst] : d.edges)
    fmt::format_to(std::back_inserter(edges), "{},{}\n", src, dst);
  write_file_atomically(folder / "edge.csv.gz", gzip_bytes(edges));

  std::string features;
  features.reserve(d.features.size() * 2);
  for (std::size_t r = 0; r < d.num_nodes; ++r) {
    for (std::size_t c = 0; c < d.num_features; ++c) {
      const float v = d.features[r * d.num_features + c];
      if (c) features += ',';
      if (v == 0.0f) {
        features += '0';
      } else if (v == 1.0f) {
        features += '1';
      } else {
        fmt::format_to(std::back_inserter(features), "{:.6g}", v);
      }
    }
    features += '\n';
  }
  write_file_atomically(folder / "node-feat.csv.gz", gzip_bytes(features));
  write_file_atomically(folder / "node-label.csv.gz", gzip_bytes(id_lines(d.labels)));

  std::int64_t unlabelled = 0;
  for (std::int64_t y : d.labels) unlabelled += y < 0;
  nlohmann::ordered_json meta = {{"name", d.name},
                                 {"num_nodes", d.num_nodes},
                                 {"num_edges", d.edges.size()},
                                 {"num_features", d.num_features},
                                 {"num_classes", d.num_classes},
                                 {"unlabelled_nodes", unlabelled}};
  nlohmann::ordered_json splits = nlohmann::ordered_json::object();
  for (const auto& [name, split] : d.splits) {
    const fs::path dir = folder / "split" / name;
    fs::create_directories(dir);
    write_file_atomically(dir / "train.csv.gz", gzip_bytes(id_lines(split.train)));
    write_file_atomically(dir / "valid.csv.gz", gzip_bytes(id_lines(split.valid)));
    write_file_atomically(dir / "test.csv.gz", gzip_bytes(id_lines(split.test)));
    splits[name] = {
        {"train", split.train.size()}, {"valid", split.valid.size()}, {"test", split.test.size()}};
  }
  meta["splits"] = splits;
  meta["source"] = d.source;
  meta["license"] = d.license;
  write_file_atomically(folder / "meta.json", meta.dump(2) + "\n");
}

}  // namespace heed::data
