#include "heed/data/dataset.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>

#include "gzip_line_reader.hpp"
#include "heed/error.hpp"
#include "text_fields.hpp"

namespace heed::data {
namespace fs = std::filesystem;
namespace {

NodeId parse_node(const GzipLineReader& reader, int column, std::string_view text,
                  std::int64_t num_nodes) {
  auto id = parse_number<std::int64_t>(reader, column, text);
  if (id < 0 || id >= num_nodes) {
    reader.fail("column " + std::to_string(column + 1) + ": node id " + std::to_string(id) +
                " is outside [0, " + std::to_string(num_nodes) + ")");
  }
  return NodeId(id);
}

// meta.json's counts. The optional ones are checked against the files
// when present; none sizes an allocation before the files confirm it.
struct Meta {
  fs::path path;
  std::string name;
  std::int64_t num_nodes = 0;
  int num_features = 0;
  int num_classes = 0;
  std::optional<std::int64_t> num_edges;
  std::optional<std::int64_t> unlabelled_nodes;
  // Split name -> sizes of train, valid, test.
  std::map<std::string, std::array<std::int64_t, 3>> splits;
};

// "meta.json says X = 4, but edge.csv.gz has 100000 lines": the field and
// both files named.
[[noreturn]] void count_mismatch(const Meta& meta, const fs::path& file, const std::string& field,
                                 std::int64_t said, const std::string& found) {
  throw Error(file.string() + ": " + found + ", but " + meta.path.string() + " says " + field +
              " = " + std::to_string(said));
}

Meta read_meta(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
  auto integer = [&](const char* key, std::int64_t min) -> std::int64_t {
    if (!j.contains(key)) throw Error(path.string() + ": missing field \"" + key + "\"");
    if (!j[key].is_number_integer()) {
      throw Error(path.string() + ": field \"" + key + "\" must be an integer");
    }
    auto v = j[key].get<std::int64_t>();
    if (v < min || v > INT32_MAX) {
      throw Error(path.string() + ": field \"" + key + "\" = " + std::to_string(v) +
                  " is out of range");
    }
    return v;
  };
  Meta meta;
  meta.path = path;
  meta.num_nodes = integer("num_nodes", 1);
  meta.num_features = int(integer("num_features", 1));
  meta.num_classes = int(integer("num_classes", 1));
  meta.name = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>()
                                                          : path.parent_path().filename().string();
  if (j.contains("num_edges")) meta.num_edges = integer("num_edges", 0);
  if (j.contains("unlabelled_nodes")) meta.unlabelled_nodes = integer("unlabelled_nodes", 0);
  if (j.contains("splits")) {
    const nlohmann::json& splits = j["splits"];
    if (!splits.is_object()) throw Error(path.string() + ": field \"splits\" must be an object");
    for (const auto& [name, parts] : splits.items()) {
      const std::string field = "splits." + name;
      if (!parts.is_object())
        throw Error(path.string() + ": field \"" + field + "\" must be an object");
      std::array<std::int64_t, 3> sizes{};
      const char* kParts[] = {"train", "valid", "test"};
      for (int k = 0; k < 3; ++k) {
        const std::string sub = field + "." + kParts[k];
        if (!parts.contains(kParts[k]))
          throw Error(path.string() + ": missing field \"" + sub + "\"");
        if (!parts[kParts[k]].is_number_integer() || parts[kParts[k]].get<std::int64_t>() < 0) {
          throw Error(path.string() + ": field \"" + sub + "\" must be an integer >= 0");
        }
        sizes[std::size_t(k)] = parts[kParts[k]].get<std::int64_t>();
      }
      meta.splits[name] = sizes;
    }
  }
  return meta;
}

// The matrix grows with the rows read, so meta.json's counts size nothing
// before the file has confirmed them.
Tensor<float> read_features(const fs::path& path, const Meta& meta) {
  GzipLineReader reader(path);
  std::vector<float> values;
  std::string_view line;
  std::int64_t row = 0;
  while (reader.next(line)) {
    if (row >= meta.num_nodes) {
      reader.fail("more rows than num_nodes = " + std::to_string(meta.num_nodes) + " in meta.json");
    }
    const std::size_t first = values.size();
    int columns = for_each_field(line, [&](int c, std::string_view text) {
      if (c < meta.num_features) values.push_back(parse_number<float>(reader, c, text));
    });
    require_columns(reader, columns, meta.num_features);
    if (values.size() != first + std::size_t(meta.num_features))
      values.resize(first + std::size_t(meta.num_features));
    ++row;
  }
  if (row != meta.num_nodes) {
    throw Error(path.string() + ": " + std::to_string(row) +
                " rows, but meta.json says num_nodes = " + std::to_string(meta.num_nodes));
  }
  Tensor<float> x(std::size_t(meta.num_nodes), std::size_t(meta.num_features));
  std::copy(values.begin(), values.end(), x.data());
  return x;
}

std::vector<std::int32_t> read_labels(const fs::path& path, const Meta& meta) {
  GzipLineReader reader(path);
  std::vector<std::int32_t> y;
  y.reserve(std::size_t(std::min<std::int64_t>(meta.num_nodes, 1 << 20)));
  std::string_view line;
  while (reader.next(line)) {
    if (std::int64_t(y.size()) >= meta.num_nodes) {
      reader.fail("more rows than num_nodes = " + std::to_string(meta.num_nodes) + " in meta.json");
    }
    std::int64_t label = 0;
    int columns = for_each_field(line, [&](int c, std::string_view text) {
      if (c == 0) label = parse_number<std::int64_t>(reader, c, text);
    });
    require_columns(reader, columns, 1);
    if (label < -1 || label >= meta.num_classes) {
      reader.fail("label " + std::to_string(label) + " is outside [0, " +
                  std::to_string(meta.num_classes) + ") (or -1 for unlabelled)");
    }
    y.push_back(std::int32_t(label));
  }
  if (std::int64_t(y.size()) != meta.num_nodes) {
    throw Error(path.string() + ": " + std::to_string(y.size()) +
                " rows, but meta.json says num_nodes = " + std::to_string(meta.num_nodes));
  }
  // num_classes is what every output layer is sized by: the labels must
  // reach it, not merely stay below it.
  std::int32_t largest = -1;
  std::int64_t unlabelled = 0;
  for (std::int32_t label : y) {
    largest = std::max(largest, label);
    unlabelled += label < 0;
  }
  if (largest + 1 != meta.num_classes) {
    count_mismatch(meta, path, "num_classes", meta.num_classes,
                   largest < 0 ? std::string("no node has a label")
                               : "the largest label is " + std::to_string(largest) + " (so " +
                                     std::to_string(largest + 1) + " classes)");
  }
  if (meta.unlabelled_nodes && *meta.unlabelled_nodes != unlabelled) {
    count_mismatch(meta, path, "unlabelled_nodes", *meta.unlabelled_nodes,
                   std::to_string(unlabelled) + " nodes have label -1");
  }
  return y;
}

EdgeList read_edges(const fs::path& path, const Meta& meta) {
  GzipLineReader reader(path);
  EdgeList edges;
  std::string_view line;
  while (reader.next(line)) {
    NodeId ends[2] = {0, 0};
    int columns = for_each_field(line, [&](int c, std::string_view text) {
      if (c < 2) ends[c] = parse_node(reader, c, text, meta.num_nodes);
    });
    require_columns(reader, columns, 2);
    edges.add(ends[0], ends[1]);
  }
  if (meta.num_edges && *meta.num_edges != std::int64_t(edges.size())) {
    count_mismatch(meta, path, "num_edges", *meta.num_edges,
                   std::to_string(edges.size()) + " edge lines");
  }
  return edges;
}

// Which part of a split (1: train, 2: valid, 3: test) holds each node, and
// on which line, so that a node listed twice, or in two parts, is named with
// both places.
struct SplitMembership {
  std::vector<std::int8_t> part;
  std::vector<long> line;
};

std::vector<NodeId> read_node_list(const fs::path& path, const Meta& meta,
                                   const std::vector<std::int32_t>& labels, int part_id,
                                   SplitMembership& taken) {
  static constexpr const char* kParts[] = {"", "train", "valid", "test"};
  GzipLineReader reader(path);
  std::vector<NodeId> nodes;
  std::string_view line;
  while (reader.next(line)) {
    NodeId id = 0;
    int columns = for_each_field(line, [&](int c, std::string_view text) {
      if (c == 0) id = parse_node(reader, c, text, meta.num_nodes);
    });
    require_columns(reader, columns, 1);
    const std::size_t n = std::size_t(id);
    if (taken.part[n] == part_id) {
      reader.fail("node " + std::to_string(id) + " is listed twice (also on line " +
                  std::to_string(taken.line[n]) + ")");
    }
    if (taken.part[n] != 0) {
      reader.fail("node " + std::to_string(id) + " is also in " + kParts[taken.part[n]] +
                  ".csv.gz (line " + std::to_string(taken.line[n]) + "): the parts overlap");
    }
    if (labels[n] < 0) {
      reader.fail("node " + std::to_string(id) + " has no label (-1 in node-label.csv.gz)");
    }
    taken.part[n] = std::int8_t(part_id);
    taken.line[n] = reader.line_number();
    nodes.push_back(id);
  }
  return nodes;
}

}  // namespace

const Split& Dataset::split(const std::string& split_name) const {
  auto it = splits.find(split_name);
  if (it != splits.end()) return it->second;
  std::string have;
  for (const auto& [n, s] : splits) have += (have.empty() ? "" : ", ") + n;
  throw Error("dataset " + name + ": no split named \"" + split_name +
              "\" (has: " + (have.empty() ? "none" : have) + ")");
}

fs::path dataset_cache_folder() {
  if (const char* env = std::getenv("HEED_DATA"); env && *env) return env;
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".cache" / "heed";
  return {};
}

fs::path resolve_dataset(const std::string& name_or_path) {
  if (name_or_path.empty()) throw Error("dataset: empty name");
  std::vector<fs::path> tried;
  auto candidate = [&](const fs::path& p) {
    if (std::find(tried.begin(), tried.end(), p) != tried.end()) return false;
    tried.push_back(p);
    std::error_code ec;
    return fs::is_directory(p, ec);
  };
  if (candidate(name_or_path)) return name_or_path;
  if (const fs::path cache = dataset_cache_folder(); !cache.empty()) {
    std::string lower = name_or_path;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (candidate(cache / name_or_path)) return cache / name_or_path;
    if (candidate(cache / lower)) return cache / lower;
  }
  if (candidate(fs::path("..") / "shared" / "data" / name_or_path)) {
    return fs::path("..") / "shared" / "data" / name_or_path;
  }
  std::string where;
  for (const auto& p : tried) where += (where.empty() ? "" : ", ") + p.string();
  throw Error("dataset \"" + name_or_path + "\" not found (looked in: " + where +
              "); pass a folder path, set HEED_DATA, or fetch it with heed data download " +
              name_or_path);
}

void normalise_rows(Tensor<float>& x) {
  for (std::size_t r = 0; r < x.rows(); ++r) {
    auto row = x.row(r);
    double sum = std::accumulate(row.begin(), row.end(), 0.0);
    if (sum == 0.0) continue;
    for (float& v : row) v = float(v / sum);
  }
}

Dataset load_dataset(const std::string& name_or_path, const LoadOptions& options) {
  const fs::path dir = resolve_dataset(name_or_path);
  const Meta meta = read_meta(dir / "meta.json");
  Dataset d;
  d.name = meta.name;
  d.path = dir;
  d.num_classes = meta.num_classes;
  d.x = read_features(dir / "node-feat.csv.gz", meta);
  if (options.normalise_features) normalise_rows(d.x);
  d.y = read_labels(dir / "node-label.csv.gz", meta);
  d.graph = Graph(meta.num_nodes, read_edges(dir / "edge.csv.gz", meta));
  for (const auto& [name, sizes] : meta.splits) {
    if (!fs::is_directory(dir / "split" / name)) {
      throw Error(meta.path.string() + ": field \"splits\" names split \"" + name + "\", but " +
                  (dir / "split" / name).string() + " is not a folder");
    }
  }

  const fs::path split_dir = dir / "split";
  std::error_code ec;
  if (fs::is_directory(split_dir, ec)) {
    std::vector<fs::path> names;
    for (const auto& entry : fs::directory_iterator(split_dir)) {
      if (entry.is_directory()) names.push_back(entry.path());
    }
    std::sort(names.begin(), names.end());
    for (const fs::path& s : names) {
      Split split;
      SplitMembership taken{std::vector<std::int8_t>(std::size_t(meta.num_nodes), 0),
                            std::vector<long>(std::size_t(meta.num_nodes), 0)};
      split.train = read_node_list(s / "train.csv.gz", meta, d.y, 1, taken);
      split.valid = read_node_list(s / "valid.csv.gz", meta, d.y, 2, taken);
      split.test = read_node_list(s / "test.csv.gz", meta, d.y, 3, taken);
      const auto said = meta.splits.find(s.filename().string());
      if (said != meta.splits.end()) {
        const char* kParts[] = {"train", "valid", "test"};
        const std::vector<NodeId>* parts[] = {&split.train, &split.valid, &split.test};
        for (int k = 0; k < 3; ++k) {
          const std::int64_t n = std::int64_t(parts[k]->size());
          if (n != said->second[std::size_t(k)]) {
            count_mismatch(meta, s / (std::string(kParts[k]) + ".csv.gz"),
                           "splits." + said->first + "." + kParts[k], said->second[std::size_t(k)],
                           std::to_string(n) + " nodes");
          }
        }
      }
      d.splits.emplace(s.filename().string(), std::move(split));
    }
  }
  return d;
}

}  // namespace heed::data
