#include "heed/nn/looped_edge_features.hpp"

#include <string>

#include "heed/error.hpp"

namespace heed::nn {

std::shared_ptr<const ops::RowMeans> looped_edge_rows(const Graph& original, const Graph& looped) {
  if (original.num_nodes() != looped.num_nodes()) {
    throw Error("edge features: the graphs differ in node count");
  }
  auto plan = std::make_shared<ops::RowMeans>();
  plan->offsets.reserve(std::size_t(looped.num_edges()) + 1);
  plan->offsets.push_back(0);
  const Csr& from = original.in();
  const Csr& to = looped.in();
  for (std::int64_t i = 0; i < looped.num_nodes(); ++i) {
    const EdgeId first = from.indptr[std::size_t(i)];
    const std::span<const NodeId> sources = from.neighbours(i);
    for (NodeId j : to.neighbours(i)) {
      if (j == NodeId(i)) {
        for (std::size_t k = 0; k < sources.size(); ++k) {
          if (sources[k] != NodeId(i)) plan->rows.push_back(first + EdgeId(k));
        }
      } else {
        std::size_t k = 0;
        while (k < sources.size() && sources[k] != j) ++k;
        if (k == sources.size()) {
          throw Error("edge features: edge " + std::to_string(j) + " -> " + std::to_string(i) +
                      " is not in the graph the features belong to");
        }
        plan->rows.push_back(first + EdgeId(k));
      }
      plan->offsets.push_back(std::int64_t(plan->rows.size()));
    }
  }
  return plan;
}

}  // namespace heed::nn
