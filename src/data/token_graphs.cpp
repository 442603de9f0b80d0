#include "heed/data/token_graphs.hpp"

#include <algorithm>
#include <string>

#include "heed/error.hpp"

namespace heed::data {

GraphDataset token_graph_dataset(std::string name,
                                 std::span<const std::vector<std::int32_t>> documents,
                                 std::span<const std::int32_t> classes, int num_classes,
                                 std::vector<std::string> class_names, TokenGraph kind,
                                 int window) {
  if (classes.size() != documents.size()) {
    throw Error("token graphs: " + std::to_string(documents.size()) + " documents but " +
                std::to_string(classes.size()) + " classes");
  }
  if (kind == TokenGraph::kWindow && window < 1) {
    throw Error("token graphs: the window must be >= 1, got " + std::to_string(window));
  }
  std::int64_t nodes = 0;
  for (std::size_t d = 0; d < documents.size(); ++d) {
    if (documents[d].empty())
      throw Error("token graphs: document " + std::to_string(d) + " is empty");
    if (classes[d] < 0 || classes[d] >= num_classes) {
      throw Error("token graphs: document " + std::to_string(d) + " has class " +
                  std::to_string(classes[d]) + ", outside 0 .. " + std::to_string(num_classes - 1));
    }
    nodes += std::int64_t(documents[d].size());
  }
  GraphDataset out;
  out.name = std::move(name);
  out.num_classes = num_classes;
  out.class_names = std::move(class_names);
  out.classes.assign(classes.begin(), classes.end());
  out.x = Tensor<float>(std::size_t(nodes), 1);
  std::vector<std::int64_t> graph_of_node(static_cast<std::size_t>(nodes));
  Csr in;
  in.indptr.reserve(std::size_t(nodes) + 1);
  in.indptr.push_back(0);
  std::int64_t first = 0;
  for (std::size_t d = 0; d < documents.size(); ++d) {
    const std::int64_t n = std::int64_t(documents[d].size());
    for (std::int64_t i = 0; i < n; ++i) {
      out.x(std::size_t(first + i), 0) = float(documents[d][std::size_t(i)]);
      graph_of_node[std::size_t(first + i)] = std::int64_t(d);
      // Node i's sources, ascending: the whole document or its window.
      const std::int64_t lo =
          kind == TokenGraph::kComplete ? 0 : std::max<std::int64_t>(0, i - window);
      const std::int64_t hi = kind == TokenGraph::kComplete ? n - 1 : std::min(n - 1, i + window);
      for (std::int64_t j = lo; j <= hi; ++j) in.indices.push_back(NodeId(first + j));
      in.indptr.push_back(EdgeId(in.indices.size()));
    }
    first += n;
  }
  out.graphs = batch_from_graph_ids(Graph::from_in_csr(nodes, std::move(in)), graph_of_node);
  out.edge_attr = Tensor<float>(std::size_t(out.graphs.graph.num_edges()), 0);
  return out;
}

}  // namespace heed::data
