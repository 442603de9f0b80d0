#include "graph_explain_command.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "graph_explanation.hpp"
#include "graph_svg.hpp"
#include "heed/data/atomic_file.hpp"
#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"
#include "molecule_svg.hpp"

namespace heed::cli {
namespace {

nlohmann::json metadata_of(const train::Checkpoint& c) {
  try {
    return nlohmann::json::parse(c.metadata);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();
  }
}

// Which part of the saved run's split the graph was in ("" if none is recorded).
std::string part_of(const nlohmann::json& metadata, std::int64_t graph) {
  if (!metadata.contains("parts") || !metadata["parts"].is_object()) return "";
  for (const char* part : {"train", "valid", "test"}) {
    const nlohmann::json& ids = metadata["parts"].value(part, nlohmann::json::array());
    if (!ids.is_array()) continue;
    for (const nlohmann::json& id : ids) {
      if (id.is_number_integer() && id.get<std::int64_t>() == graph) return part;
    }
  }
  return "";
}

std::string verdict(const data::GraphDataset& d, std::int64_t graph,
                    const std::vector<float>& output) {
  if (d.is_regression()) {
    std::string predicted, truth;
    for (std::size_t t = 0; t < output.size(); ++t) {
      predicted += fmt::format("{}{:.3f}", t ? ", " : "", output[t]);
      truth += fmt::format("{}{:.3f}", t ? ", " : "", d.values(std::size_t(graph), t));
    }
    return fmt::format("predicted {}, true {}", predicted, truth);
  }
  // Softmax of the logits, for the predicted class's probability.
  const float top = *std::max_element(output.begin(), output.end());
  double total = 0;
  for (float v : output) total += std::exp(double(v - top));
  const std::size_t best =
      std::size_t(std::max_element(output.begin(), output.end()) - output.begin());
  const auto name = [&](std::size_t c) {
    return c < d.class_names.size() ? d.class_names[c] : std::to_string(c);
  };
  return fmt::format("predicted class {} (p = {:.2f}), true class {}", name(best), 1.0 / total,
                     name(std::size_t(d.classes[std::size_t(graph)])));
}

}  // namespace

int run_graph_explain(const ModelOptions& options, std::int64_t graph, const std::string& out) {
  const train::Checkpoint checkpoint = train::load_checkpoint(options.path);
  const nn::ModelSpec& spec = checkpoint.spec;
  if (!spec.is_graph_level()) {
    throw Error(options.path + ": a node-level " + spec.model +
                " model has no graphs to draw; explain one of its nodes with --node N");
  }
  if (options.threads > 0) set_num_threads(options.threads);
  const nlohmann::json metadata = metadata_of(checkpoint);
  std::string folder;
  if (options.source.data) {
    folder = *options.source.data;
  } else if (metadata.contains("graph_data") && metadata["graph_data"].is_string()) {
    folder = metadata["graph_data"].get<std::string>();
  } else {
    throw Error(options.path + ": the checkpoint does not record its dataset; pass --data");
  }
  data::GraphReadOptions read;
  read.skip_invalid = metadata.value("skip_invalid", false);
  const data::GraphDataset d = data::read_graph_dataset(folder, read);
  const std::int64_t outputs = d.is_regression() ? std::int64_t(d.values.cols()) : d.num_classes;
  if (spec.in_channels != std::int64_t(d.x.cols()) || spec.out_channels != outputs ||
      (spec.edge_dim > 0 && spec.edge_dim != std::int64_t(d.edge_attr.cols()))) {
    throw Error(fmt::format(
        "{}: the model takes {} node features{} and gives {} outputs, but {} has {} node "
        "features, {} edge features and {} {}",
        options.path, spec.in_channels,
        spec.edge_dim > 0 ? fmt::format(" and {} edge features", spec.edge_dim) : "",
        spec.out_channels, d.name, d.x.cols(), d.edge_attr.cols(), outputs,
        d.is_regression() ? "targets" : "classes"));
  }
  const std::unique_ptr<nn::Model<float>> model = train::restore_model(checkpoint, options.path);
  const GraphExplanation e = explain_graph(*model, d, graph);

  const std::string part = part_of(metadata, graph);
  const std::string title =
      fmt::format("{} graph {}{}: {}", d.name, graph,
                  part.empty() ? "" : fmt::format(" ({} set)", part), verdict(d, graph, e.output));
  const std::string caption = fmt::format(
      "{} {}; nodes: {}; edges: {}", spec.model, nn::name_of(spec.readout), e.node_measure,
      e.edge_weight.empty() ? "no attention layer" : "attention, mean over layers and heads");
  std::string svg;
  if (!d.smiles.empty()) {
    svg = molecule_svg(d.smiles[std::size_t(graph)], e.node_weight, e.edges, e.edge_weight,
                       title + "\n" + caption);
  } else {
    std::vector<std::string> labels;
    const std::int64_t first = d.graphs.node_offsets[std::size_t(graph)];
    if (!d.node_labels.empty()) {
      for (std::int64_t i = 0; i < e.num_nodes; ++i) {
        labels.push_back(std::to_string(d.node_labels[std::size_t(first + i)]));
      }
    }
    svg = graph_svg(e.num_nodes, e.edges, e.edge_weight, e.node_weight, labels, title, caption);
  }
  data::write_file_atomically(out, svg);
  fmt::print(stderr, "drew {} graph {} ({} nodes, {} edges) to {}\n", d.name, graph, e.num_nodes,
             e.edges.size(), out);
  return 0;
}

}  // namespace heed::cli
