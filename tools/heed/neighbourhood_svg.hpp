#pragma once
// A picture of what a node attended to: its in-neighbourhood hop by hop,
// edges drawn as thick as their attention, nodes filled with the predicted
// class and ringed with the true one. Plain SVG text, no library needed.
#include <string>
#include <vector>

#include "heed/graph/graph.hpp"
#include "heed/nn/gat_conv.hpp"

namespace heed::cli {

struct NeighbourhoodNode {
  NodeId id = 0;
  int hop = 0;  // 0: the explained node
  int predicted = 0;
  int truth = -1;  // -1: unlabelled
};

struct NeighbourhoodEdge {
  NodeId src = 0;
  NodeId dst = 0;
  double alpha = 0;  // mean over heads
  int layer = 0;     // the attention layer it comes from (0-based)
};

struct Neighbourhood {
  std::vector<NeighbourhoodNode> nodes;  // the explained node first
  std::vector<NeighbourhoodEdge> edges;  // no self loops
  double self_alpha = 0;                 // the explained node's weight on itself, last layer
  int last_layer = 0;
  int omitted = 0;  // nodes left out to keep the picture readable
};

/// The in-neighbourhood of `node` up to `hops` hops, with the coefficients
/// of the layer that carries each hop's messages (the last layer for edges
/// into the node, the one before for edges into its neighbours, ...); at
/// most `max_per_hop` nodes per hop, the most attended first.
Neighbourhood collect_neighbourhood(NodeId node, int hops,
                                    const std::vector<nn::Attention<float>>& layers,
                                    const std::vector<int>& predicted,
                                    const std::vector<std::int32_t>& truth, int max_per_hop);

/// The drawing, an SVG document.
std::string neighbourhood_svg(const Neighbourhood& n, const std::string& title);

}  // namespace heed::cli
