#include "explain_command.hpp"

#include <fmt/core.h>

#include "flag_checks.hpp"

#include "graph_explain_command.hpp"
#include "heed/data/atomic_file.hpp"
#include "heed/error.hpp"
#include "neighbourhood_svg.hpp"

namespace heed::cli {

CLI::App* add_explain_command(CLI::App& app, ExplainConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "explain",
      "Draw a node's neighbourhood as SVG: edges as thick as their attention, nodes filled with "
      "the predicted class and ringed with the true one; or, for a whole-graph model, one of its "
      "graphs with atoms (nodes) and bonds (edges) shaded by attention");
  add_model_options(*cmd, c.model);
  CLI::Option* node = cmd->add_option("--node", c.node, "The node to explain (node-level models)")
                          ->check(non_negative_number());
  CLI::Option* graph =
      cmd->add_option("--graph", c.graph,
                      "The graph to draw (whole-graph models; 0-based, in the dataset's order): "
                      "a molecule as RDKit depicts it, another graph by a force-directed layout")
          ->check(non_negative_number())
          ->excludes(node);
  node->excludes(graph);
  cmd->add_option("--hops", c.hops, "Hops of in-neighbours to draw (at most the model's layers)")
      ->capture_default_str()
      ->check(CLI::Range(1, 8));
  cmd->add_option("--max-per-hop", c.max_per_hop,
                  "Most nodes drawn per hop; the most attended are kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--out", c.out, "SVG file to write")->required();
  return cmd;
}

int run_explain(const ExplainConfig& c) {
  if (c.graph) return run_graph_explain(c.model, *c.graph, c.out);
  if (!c.node) throw Error("explain: give --node N (or --graph K for a whole-graph model)");
  TrainedModel trained(c.model);
  const data::Dataset& d = trained.dataset();
  if (*c.node >= d.num_nodes()) {
    throw Error("--node " + std::to_string(*c.node) + " is outside " + d.name + "'s nodes [0, " +
                std::to_string(d.num_nodes()) + ")");
  }
  std::vector<nn::Attention<float>> layers;
  const std::vector<int> predicted = predicted_classes(trained.infer(&layers));
  if (layers.empty()) {
    throw Error(c.model.path + ": a " + trained.checkpoint().spec.model +
                " model has no attention to draw");
  }
  const NodeId node = NodeId(*c.node);
  const Neighbourhood n =
      collect_neighbourhood(node, c.hops, layers, predicted, d.y, c.max_per_hop);
  const std::int32_t truth = d.y[std::size_t(node)];
  const std::string title = fmt::format(
      "{} node {}: predicted class {}, true class {} ({} layers, {} in-neighbours)", d.name, node,
      predicted[std::size_t(node)], truth < 0 ? std::string("unknown") : std::to_string(truth),
      layers.size(), d.graph.in().neighbours(node).size());
  data::write_file_atomically(c.out, neighbourhood_svg(n, title));
  fmt::print(stderr, "drew {} nodes and {} edges to {}\n", n.nodes.size(), n.edges.size(), c.out);
  return 0;
}

}  // namespace heed::cli
