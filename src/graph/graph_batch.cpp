#include "heed/graph/graph_batch.hpp"

#include <algorithm>
#include <string>

#include "heed/error.hpp"

namespace heed {

std::vector<std::int64_t> GraphBatch::node_graph() const {
  std::vector<std::int64_t> of(std::size_t(node_offsets.back()));
  for (std::int64_t g = 0; g < num_graphs(); ++g) {
    std::fill(of.begin() + node_offsets[std::size_t(g)],
              of.begin() + node_offsets[std::size_t(g) + 1], g);
  }
  return of;
}

GraphBatch batch_from_graph_ids(Graph graph, std::span<const std::int64_t> graph_of_node) {
  const std::int64_t n = graph.num_nodes();
  if (std::int64_t(graph_of_node.size()) != n) {
    throw Error("graph batch: " + std::to_string(graph_of_node.size()) + " graph ids for " +
                std::to_string(n) + " nodes");
  }
  GraphBatch batch;
  // node_offsets[g]: the first node of graph g or of a later one (a graph
  // id that no node has is an empty graph).
  batch.node_offsets.assign(1, 0);
  std::int64_t last = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t g = graph_of_node[std::size_t(i)];
    if (g < 0) {
      throw Error("graph batch: node " + std::to_string(i) + " has a negative graph id " +
                  std::to_string(g));
    }
    if (g < last) {
      throw Error("graph batch: node " + std::to_string(i) + " is in graph " + std::to_string(g) +
                  ", after a node of graph " + std::to_string(last) +
                  " (graph ids must not decrease)");
    }
    while (std::int64_t(batch.node_offsets.size()) - 1 < g) batch.node_offsets.push_back(i);
    last = g;
  }
  if (n > 0) batch.node_offsets.push_back(n);
  // The edges of graph g are the in-edges of its rows.
  const Csr& in = graph.in();
  batch.edge_offsets.resize(batch.node_offsets.size());
  for (std::size_t g = 0; g < batch.node_offsets.size(); ++g) {
    batch.edge_offsets[g] = in.indptr[std::size_t(batch.node_offsets[g])];
  }
  for (std::int64_t i = 0; i < n; ++i) {
    for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
      const NodeId j = in.indices[std::size_t(e)];
      if (graph_of_node[std::size_t(j)] != graph_of_node[std::size_t(i)]) {
        throw Error("graph batch: edge " + std::to_string(j) + " -> " + std::to_string(i) +
                    " joins graph " + std::to_string(graph_of_node[std::size_t(j)]) + " to graph " +
                    std::to_string(graph_of_node[std::size_t(i)]));
      }
    }
  }
  batch.graph = std::move(graph);
  return batch;
}

GraphBatch select_graphs(const GraphBatch& all, std::span<const std::int64_t> chosen) {
  const std::int64_t graphs = all.num_graphs();
  GraphBatch batch;
  batch.node_offsets.assign(chosen.size() + 1, 0);
  batch.edge_offsets.assign(chosen.size() + 1, 0);
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    const std::int64_t g = chosen[k];
    if (g < 0 || g >= graphs) {
      throw Error("graph batch: graph " + std::to_string(g) + " is outside [0, " +
                  std::to_string(graphs) + ")");
    }
    batch.node_offsets[k + 1] = batch.node_offsets[k] + all.node_offsets[std::size_t(g) + 1] -
                                all.node_offsets[std::size_t(g)];
    batch.edge_offsets[k + 1] = batch.edge_offsets[k] + all.edge_offsets[std::size_t(g) + 1] -
                                all.edge_offsets[std::size_t(g)];
  }
  const Csr& from = all.graph.in();
  Csr in;
  in.indptr.assign(std::size_t(batch.node_offsets.back()) + 1, 0);
  in.indices.resize(std::size_t(batch.edge_offsets.back()));
  const std::int64_t count = std::int64_t(chosen.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t k = 0; k < count; ++k) {
    const std::size_t g = std::size_t(chosen[std::size_t(k)]);
    const std::int64_t node_from = all.node_offsets[g],
                       node_to = batch.node_offsets[std::size_t(k)];
    const EdgeId edge_from = all.edge_offsets[g], edge_to = batch.edge_offsets[std::size_t(k)];
    const NodeId shift = NodeId(node_to - node_from);
    for (std::int64_t i = node_from; i < all.node_offsets[g + 1]; ++i) {
      in.indptr[std::size_t(i - node_from + node_to) + 1] =
          from.indptr[std::size_t(i) + 1] - edge_from + edge_to;
    }
    for (EdgeId e = edge_from; e < all.edge_offsets[g + 1]; ++e) {
      in.indices[std::size_t(e - edge_from + edge_to)] = from.indices[std::size_t(e)] + shift;
    }
  }
  batch.graph = Graph::from_in_csr(batch.node_offsets.back(), std::move(in));
  return batch;
}

template <class T>
Tensor<T> gather_blocks(const Tensor<T>& rows, std::span<const std::int64_t> offsets,
                        std::span<const std::int64_t> chosen) {
  if (offsets.empty() || std::size_t(offsets.back()) != rows.rows()) {
    throw Error("graph batch: " + std::to_string(rows.rows()) + " rows, but the graphs' offsets " +
                "end at " + std::to_string(offsets.empty() ? 0 : offsets.back()));
  }
  const std::size_t cols = rows.cols();
  std::vector<std::int64_t> to(chosen.size() + 1, 0);
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    const std::int64_t g = chosen[k];
    if (g < 0 || g + 1 >= std::int64_t(offsets.size())) {
      throw Error("graph batch: graph " + std::to_string(g) + " is outside [0, " +
                  std::to_string(offsets.size() - 1) + ")");
    }
    to[k + 1] = to[k] + offsets[std::size_t(g) + 1] - offsets[std::size_t(g)];
  }
  Tensor<T> out = Tensor<T>::uninitialized(std::size_t(to.back()), cols);
  const std::int64_t count = std::int64_t(chosen.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t k = 0; k < count; ++k) {
    const std::size_t g = std::size_t(chosen[std::size_t(k)]);
    std::copy(rows.data() + std::size_t(offsets[g]) * cols,
              rows.data() + std::size_t(offsets[g + 1]) * cols,
              out.data() + std::size_t(to[std::size_t(k)]) * cols);
  }
  return out;
}

template Tensor<float> gather_blocks<float>(const Tensor<float>&, std::span<const std::int64_t>,
                                            std::span<const std::int64_t>);
template Tensor<double> gather_blocks<double>(const Tensor<double>&, std::span<const std::int64_t>,
                                              std::span<const std::int64_t>);

}  // namespace heed
