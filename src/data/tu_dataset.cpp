#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "gzip_line_reader.hpp"
#include "heed/data/graph_dataset.hpp"
#include "heed/error.hpp"
#include "text_fields.hpp"

namespace heed::data {
namespace fs = std::filesystem;
namespace {

const std::string kIndicatorSuffix = "_graph_indicator.txt";

std::optional<fs::path> indicator_file(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return std::nullopt;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string file = entry.path().filename().string();
    if (file.size() > kIndicatorSuffix.size() &&
        file.compare(file.size() - kIndicatorSuffix.size(), kIndicatorSuffix.size(),
                     kIndicatorSuffix) == 0) {
      return entry.path();
    }
  }
  return std::nullopt;
}

// A file of rows of numbers, every line with the same count (`columns` if
// given); `check(reader, row, values)` may reject a row, naming its line.
template <class T, class Check>
std::vector<T> read_rows(const fs::path& path, int& columns, std::int64_t& lines, Check&& check) {
  GzipLineReader reader(path);
  std::vector<T> values;
  std::vector<T> row;
  std::string_view line;
  lines = 0;
  while (reader.next(line)) {
    if (trim(line).empty()) reader.fail("empty line");
    row.clear();
    for_each_field(line, [&](int column, std::string_view text) {
      row.push_back(parse_number<T>(reader, column, text));
    });
    if (columns == 0) columns = int(row.size());
    require_columns(reader, int(row.size()), columns);
    check(reader, lines, row);
    values.insert(values.end(), row.begin(), row.end());
    ++lines;
  }
  return values;
}

template <class T>
std::vector<T> read_rows(const fs::path& path, int& columns, std::int64_t& lines) {
  return read_rows<T>(path, columns, lines, [](const GzipLineReader&, std::int64_t, auto&) {});
}

[[noreturn]] void line_count_mismatch(const fs::path& file, std::int64_t lines,
                                      const std::string& want) {
  throw Error(file.string() + ": " + std::to_string(lines) + (lines == 1 ? " line" : " lines") +
              ", but " + want);
}

// Integer labels, one column per kind of label, become one-hot columns:
// each kind shifted to start at 0 (PyG's `label - label.min()`), as wide as
// its range.
struct LabelColumns {
  std::vector<std::int64_t> lowest;
  std::vector<std::size_t> widths;
  std::size_t width() const {
    return std::accumulate(widths.begin(), widths.end(), std::size_t(0));
  }
};

LabelColumns label_columns(const fs::path& path, const std::vector<std::int64_t>& labels,
                           int columns, std::int64_t rows) {
  // More label values than this is not a labelling but an id or a mistake;
  // its one-hot columns would not fit in memory.
  constexpr std::int64_t kMostValues = 1 << 16;
  LabelColumns out;
  for (int c = 0; c < columns; ++c) {
    std::int64_t lo = labels[std::size_t(c)], hi = lo;
    for (std::int64_t r = 0; r < rows; ++r) {
      lo = std::min(lo, labels[std::size_t(r * columns + c)]);
      hi = std::max(hi, labels[std::size_t(r * columns + c)]);
    }
    if (hi - lo >= kMostValues) {
      throw Error(path.string() + ": column " + std::to_string(c + 1) + "'s labels run from " +
                  std::to_string(lo) + " to " + std::to_string(hi) + ", more than " +
                  std::to_string(kMostValues) + " values to one-hot encode");
    }
    out.lowest.push_back(lo);
    out.widths.push_back(std::size_t(hi - lo + 1));
  }
  return out;
}

void write_one_hot(const std::vector<std::int64_t>& labels, int columns, std::int64_t rows,
                   const LabelColumns& kinds, Tensor<float>& out, std::size_t at) {
  for (int c = 0; c < columns; ++c) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t v = labels[std::size_t(r * columns + c)] - kinds.lowest[std::size_t(c)];
      out(std::size_t(r), at + std::size_t(v)) = 1.0f;
    }
    at += kinds.widths[std::size_t(c)];
  }
}

}  // namespace

bool is_tu_dataset(const fs::path& folder) {
  return indicator_file(folder).has_value();
}

GraphDataset read_tu_dataset(const fs::path& folder) {
  const std::optional<fs::path> indicator_path = indicator_file(folder);
  if (!indicator_path) {
    throw Error(folder.string() + ": not a TUDataset folder (no <NAME>" + kIndicatorSuffix + ")");
  }
  const std::string file = indicator_path->filename().string();
  const std::string prefix = file.substr(0, file.size() - kIndicatorSuffix.size());
  auto part = [&](const std::string& what) { return folder / (prefix + "_" + what + ".txt"); };
  auto exists = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
  };

  GraphDataset data;
  data.name = prefix;
  data.path = folder;

  // Each node's graph: 1-based, never decreasing, no id skipped.
  int one = 1;
  std::int64_t num_nodes = 0;
  std::int64_t previous = 0;
  std::vector<std::int64_t> graph_of_node = read_rows<std::int64_t>(
      *indicator_path, one, num_nodes,
      [&](const GzipLineReader& reader, std::int64_t, std::vector<std::int64_t>& row) {
        const std::int64_t g = row[0];
        if (g < previous) {
          reader.fail("graph " + std::to_string(g) + " after graph " + std::to_string(previous) +
                      ": graph ids must not decrease (a graph's nodes are consecutive)");
        }
        if (g > previous + 1) {
          reader.fail("graph " + std::to_string(g) + " after graph " + std::to_string(previous) +
                      (previous == 0
                           ? ": graph ids start at 1"
                           : ": graph " + std::to_string(previous + 1) + " would have no nodes"));
        }
        previous = g;
        row[0] = g - 1;
      });
  if (num_nodes == 0) throw Error(indicator_path->string() + ": no nodes");
  const std::int64_t num_graphs = previous;

  // Edges, 1-based, within one graph.
  const fs::path edges_path = part("A");
  if (!exists(edges_path)) throw Error(edges_path.string() + ": missing (the graphs' edges)");
  int two = 2;
  std::int64_t num_lines = 0;
  const std::vector<std::int64_t> pairs = read_rows<std::int64_t>(
      edges_path, two, num_lines,
      [&](const GzipLineReader& reader, std::int64_t, std::vector<std::int64_t>& row) {
        for (int k = 0; k < 2; ++k) {
          if (row[std::size_t(k)] < 1 || row[std::size_t(k)] > num_nodes) {
            reader.fail("node " + std::to_string(row[std::size_t(k)]) + " is outside 1.." +
                        std::to_string(num_nodes) + " (the nodes of " +
                        indicator_path->filename().string() + ")");
          }
          --row[std::size_t(k)];
        }
        const std::int64_t a = graph_of_node[std::size_t(row[0])];
        const std::int64_t b = graph_of_node[std::size_t(row[1])];
        if (a != b) {
          reader.fail("edge " + std::to_string(row[0] + 1) + ", " + std::to_string(row[1] + 1) +
                      " joins graph " + std::to_string(a + 1) + " to graph " +
                      std::to_string(b + 1));
        }
      });

  // Optional per-node and per-edge files, each with exactly one line per
  // node or per line of the edge file.
  auto optional_rows = [&]<class T>(const std::string& what, std::int64_t want,
                                    const std::string& want_text, int& columns) {
    std::vector<T> values;
    columns = 0;
    const fs::path p = part(what);
    if (!exists(p)) return values;
    std::int64_t lines = 0;
    values = read_rows<T>(p, columns, lines);
    if (lines != want) line_count_mismatch(p, lines, want_text);
    return values;
  };
  const std::string per_node =
      indicator_path->filename().string() + " has " + std::to_string(num_nodes) + " nodes";
  const std::string per_edge =
      edges_path.filename().string() + " has " + std::to_string(num_lines) + " edges";
  int node_label_cols = 0, node_attr_cols = 0, edge_label_cols = 0, edge_attr_cols = 0;
  const auto node_labels =
      optional_rows.operator()<std::int64_t>("node_labels", num_nodes, per_node, node_label_cols);
  const auto node_attrs =
      optional_rows.operator()<float>("node_attributes", num_nodes, per_node, node_attr_cols);
  const auto edge_labels =
      optional_rows.operator()<std::int64_t>("edge_labels", num_lines, per_edge, edge_label_cols);
  const auto edge_attrs =
      optional_rows.operator()<float>("edge_attributes", num_lines, per_edge, edge_attr_cols);

  // Node features: attributes, then labels one-hot.
  const LabelColumns node_kinds =
      label_columns(part("node_labels"), node_labels, node_label_cols, num_nodes);
  data.x = Tensor<float>(std::size_t(num_nodes), std::size_t(node_attr_cols) + node_kinds.width());
  for (std::int64_t r = 0; r < num_nodes; ++r) {
    for (int c = 0; c < node_attr_cols; ++c) {
      data.x(std::size_t(r), std::size_t(c)) = node_attrs[std::size_t(r * node_attr_cols + c)];
    }
  }
  write_one_hot(node_labels, node_label_cols, num_nodes, node_kinds, data.x,
                std::size_t(node_attr_cols));
  if (node_label_cols == 1) data.node_labels = node_labels;
  if (data.x.cols() == 0) {
    throw Error(folder.string() + ": the nodes have no labels and no attributes (" +
                part("node_labels").filename().string() + " or " +
                part("node_attributes").filename().string() + ")");
  }

  // Edge features per line of the edge file, then the graph's edge order:
  // by (destination, source), self loops dropped, repeats merged by summing
  // their features (PyG's remove_self_loops and coalesce).
  const LabelColumns edge_kinds =
      label_columns(part("edge_labels"), edge_labels, edge_label_cols, num_lines);
  const std::size_t edge_width = std::size_t(edge_attr_cols) + edge_kinds.width();
  Tensor<float> line_features(std::size_t(num_lines), edge_width);
  for (std::int64_t r = 0; r < num_lines; ++r) {
    for (int c = 0; c < edge_attr_cols; ++c) {
      line_features(std::size_t(r), std::size_t(c)) =
          edge_attrs[std::size_t(r * edge_attr_cols + c)];
    }
  }
  write_one_hot(edge_labels, edge_label_cols, num_lines, edge_kinds, line_features,
                std::size_t(edge_attr_cols));
  std::vector<std::int64_t> order;
  for (std::int64_t k = 0; k < num_lines; ++k) {
    if (pairs[std::size_t(2 * k)] != pairs[std::size_t(2 * k + 1)]) order.push_back(k);
  }
  auto key = [&](std::int64_t k) {
    return pairs[std::size_t(2 * k + 1)] * num_nodes + pairs[std::size_t(2 * k)];
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) { return key(a) < key(b); });
  Csr in;
  in.indptr.assign(std::size_t(num_nodes) + 1, 0);
  std::vector<float> features;
  for (std::size_t p = 0; p < order.size(); ++p) {
    const std::int64_t k = order[p];
    const bool repeat = p > 0 && key(order[p - 1]) == key(k);
    if (!repeat) {
      in.indices.push_back(NodeId(pairs[std::size_t(2 * k)]));
      ++in.indptr[std::size_t(pairs[std::size_t(2 * k + 1)]) + 1];
      features.resize(features.size() + edge_width, 0.0f);
    }
    float* f = features.data() + features.size() - edge_width;
    for (std::size_t c = 0; c < edge_width; ++c) f[c] += line_features(std::size_t(k), c);
  }
  std::partial_sum(in.indptr.begin(), in.indptr.end(), in.indptr.begin());
  const std::size_t num_edges = in.indices.size();
  data.edge_attr = Tensor<float>(num_edges, edge_width);
  std::copy(features.begin(), features.end(), data.edge_attr.data());
  data.graphs = batch_from_graph_ids(Graph::from_in_csr(num_nodes, std::move(in)), graph_of_node);

  // Targets: graph attributes (regression) if given, else labels.
  const fs::path attributes_path = part("graph_attributes");
  const fs::path labels_path = part("graph_labels");
  const std::string per_graph =
      indicator_path->filename().string() + " has " + std::to_string(num_graphs) + " graphs";
  if (exists(attributes_path)) {
    int columns = 0;
    std::int64_t lines = 0;
    const std::vector<float> v = read_rows<float>(attributes_path, columns, lines);
    if (lines != num_graphs) line_count_mismatch(attributes_path, lines, per_graph);
    data.values = Tensor<float>(std::size_t(num_graphs), std::size_t(columns));
    std::copy(v.begin(), v.end(), data.values.data());
  } else if (exists(labels_path)) {
    int columns = 1;
    std::int64_t lines = 0;
    const std::vector<std::int64_t> labels = read_rows<std::int64_t>(labels_path, columns, lines);
    if (lines != num_graphs) line_count_mismatch(labels_path, lines, per_graph);
    std::map<std::int64_t, std::int32_t> class_of;
    for (std::int64_t label : labels) class_of.emplace(label, 0);
    for (auto& [label, cls] : class_of) {
      cls = data.num_classes++;
      data.class_names.push_back(std::to_string(label));
    }
    for (std::int64_t label : labels) data.classes.push_back(class_of[label]);
  } else {
    throw Error(folder.string() + ": the graphs have no targets (neither " +
                labels_path.filename().string() + " nor " + attributes_path.filename().string() +
                ")");
  }

  // meta.json's counts, where it gives them.
  const fs::path meta_path = folder / "meta.json";
  if (exists(meta_path)) {
    nlohmann::json meta;
    try {
      std::ifstream stream(meta_path);
      meta = nlohmann::json::parse(stream);
    } catch (const nlohmann::json::exception& e) {
      throw Error(meta_path.string() + ": " + e.what());
    }
    auto check = [&](const char* field, std::int64_t found, const std::string& where) {
      if (!meta.contains(field)) return;
      if (!meta[field].is_number_integer()) {
        throw Error(meta_path.string() + ": " + field + " is not an integer");
      }
      if (meta[field].get<std::int64_t>() != found) {
        throw Error(where + " has " + std::to_string(found) + ", but " + meta_path.string() +
                    " says " + field + " = " + std::to_string(meta[field].get<std::int64_t>()));
      }
    };
    check("num_graphs", num_graphs, indicator_path->string());
    check("num_nodes", num_nodes, indicator_path->string());
    check("num_edges", num_lines, edges_path.string());
    if (node_label_cols == 1) {
      check("num_node_labels", std::int64_t(data.x.cols()) - node_attr_cols,
            part("node_labels").string());
    }
    if (edge_label_cols == 1) {
      check("num_edge_labels", std::int64_t(edge_width) - edge_attr_cols,
            part("edge_labels").string());
    }
    if (meta.contains("name") && meta["name"].is_string()) data.name = meta["name"];
  }
  return data;
}

}  // namespace heed::data
