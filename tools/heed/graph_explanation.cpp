#include "graph_explanation.hpp"

#include <algorithm>
#include <map>

#include "heed/error.hpp"
#include "heed/train/graph_batch_source.hpp"

namespace heed::cli {
namespace {

double mean_over_heads(const Tensor<float>& alpha, std::size_t edge) {
  double sum = 0;
  for (std::size_t h = 0; h < alpha.cols(); ++h) sum += alpha(edge, h);
  return sum / double(alpha.cols());
}

}  // namespace

GraphExplanation explain_graph(nn::Model<float>& model, const data::GraphDataset& dataset,
                               std::int64_t graph) {
  if (graph < 0 || graph >= dataset.num_graphs()) {
    throw Error("--graph " + std::to_string(graph) + " is outside " + dataset.name +
                "'s graphs [0, " + std::to_string(dataset.num_graphs()) + ")");
  }
  const nn::ModelSpec& spec = model.spec();
  const bool pools_by_attention = spec.readout == nn::Readout::kAttention;
  GraphExplanation out;
  const std::int64_t first = dataset.graphs.node_offsets[std::size_t(graph)];
  out.num_nodes = dataset.graphs.node_offsets[std::size_t(graph) + 1] - first;

  // The graph's own edges, each undirected pair once.
  std::map<std::array<std::int64_t, 2>, std::size_t> edge_of;
  const Csr& in = dataset.graphs.graph.in();
  for (std::int64_t v = 0; v < out.num_nodes; ++v) {
    for (NodeId u : in.neighbours(NodeId(first + v))) {
      const std::int64_t local = std::int64_t(u) - first;
      if (local == v) continue;
      edge_of.emplace(std::array{std::min(local, v), std::max(local, v)}, 0);
    }
  }
  for (auto& [pair, index] : edge_of) {
    index = out.edges.size();
    out.edges.push_back(pair);
  }

  std::vector<nn::Attention<float>> layers;
  Tensor<float> pooling;
  const train::GraphBatchSource source(dataset, spec, {{{graph}, {graph}, {graph}}}, 1);
  const std::int64_t chosen[] = {graph};
  source.visit_batch(chosen, train::Part::kTest, [&](const train::Batch& b) {
    Tape<float> tape(Tape<float>::Gradients::kOff);
    const Tensor<float> y =
        model
            .forward(tape, b.input, nn::ForwardContext{false, 0},
                     {.attention = &layers, .pooling = pools_by_attention ? &pooling : nullptr})
            .value();
    out.output.assign(y.data(), y.data() + y.cols());
  });
  if (layers.empty() && !pools_by_attention) {
    throw Error("a " + spec.model + " model with a " + std::string(nn::name_of(spec.readout)) +
                " readout has no attention to draw");
  }

  // In the batch of this graph alone its nodes are 0 .. n - 1.
  std::vector<double> sent(std::size_t(out.num_nodes), 0.0);
  if (!layers.empty()) {
    std::vector<double> sum(out.edges.size(), 0.0), count(out.edges.size(), 0.0);
    for (const nn::Attention<float>& layer : layers) {
      const Csr& lin = layer.graph.in();
      for (std::int64_t v = 0; v < out.num_nodes; ++v) {
        const EdgeId begin = lin.indptr[std::size_t(v)];
        const std::span<const NodeId> from = lin.neighbours(NodeId(v));
        for (std::size_t k = 0; k < from.size(); ++k) {
          const double a = mean_over_heads(layer.alpha, std::size_t(begin) + k);
          const std::int64_t u = from[k];
          sent[std::size_t(u)] += a / double(layers.size());
          if (u == v) continue;
          const auto it = edge_of.find({std::min(u, v), std::max(u, v)});
          // A transformer attends over every pair; only the graph's edges are drawn.
          if (it == edge_of.end()) continue;
          sum[it->second] += a;
          count[it->second] += 1;
        }
      }
    }
    out.edge_weight.resize(out.edges.size());
    for (std::size_t e = 0; e < out.edges.size(); ++e) {
      out.edge_weight[e] = count[e] > 0 ? sum[e] / count[e] : 0.0;
    }
  }
  if (pools_by_attention) {
    out.node_weight.assign(pooling.data(), pooling.data() + pooling.rows());
    out.node_measure = "attention pooling weight";
  } else {
    out.node_weight = std::move(sent);
    out.node_measure = "attention sent (mean 1)";
  }
  return out;
}

}  // namespace heed::cli
