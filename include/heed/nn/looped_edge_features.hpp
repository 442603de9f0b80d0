#pragma once
// Edge features on the graph a layer runs over. A layer that adds self
// loops runs over a copy with other edge ids and one new edge per node; as
// in PyG (fill_value="mean"), a new loop carries the mean of the features of
// the node's other in-edges (zeros if it has none), and every other edge
// keeps its own. The result is a row-mean plan for ops::row_means.
#include <memory>
#include <string>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/graph/graph.hpp"

namespace heed::nn {

/// For each edge of `looped` (by edge id), the edges of `original` whose
/// features it takes the mean of. heed::Error if `looped` has an edge, other
/// than a self loop, that `original` lacks.
std::shared_ptr<const ops::RowMeans> looped_edge_rows(const Graph& original, const Graph& looped);

/// heed::Error, naming `layer`, unless edge features are given exactly when
/// edge_dim > 0 and have one row of edge_dim values per edge of `graph`.
template <class T>
void check_edge_input(const Var<T>* edge_attr, const Graph& graph, int edge_dim,
                      const char* layer) {
  const std::string name(layer);
  if (edge_dim < 0) throw Error(name + ": edge_dim must be >= 0, got " + std::to_string(edge_dim));
  if (edge_dim > 0 && edge_attr == nullptr) {
    throw Error(name + ": edge_dim is " + std::to_string(edge_dim) + ", so pass edge features");
  }
  if (edge_dim == 0 && edge_attr != nullptr) {
    throw Error(name + ": got edge features, but the layer was built with edge_dim = 0");
  }
  if (edge_attr && (std::int64_t(edge_attr->value().rows()) != graph.num_edges() ||
                    edge_attr->value().cols() != std::size_t(edge_dim))) {
    throw Error(name + ": edge features are " + std::to_string(edge_attr->value().rows()) + " x " +
                std::to_string(edge_attr->value().cols()) + ", the graph has " +
                std::to_string(graph.num_edges()) + " edges and edge_dim is " +
                std::to_string(edge_dim));
  }
}

/// `edge_attr` (original.num_edges() rows) moved onto `used`, which is
/// `original` itself or its looped copy.
template <class T>
Var<T> edge_features_on(const Graph& original, const Graph& used, Var<T> edge_attr) {
  if (&used == &original) return edge_attr;
  return ops::row_means(edge_attr, looped_edge_rows(original, used));
}

}  // namespace heed::nn
