#pragma once
// Random graphs for benchmarks and scale tests, generated in code so no
// download is needed. Both are keyed by a seed: the same seed gives the same
// edges on any number of threads.
#include <cstdint>

#include "heed/graph/graph.hpp"

namespace heed::data {

/// `num_edges` directed edges with source and destination drawn uniformly and
/// independently from [0, num_nodes), as torch.randint does: duplicates and
/// self loops are possible (a graph built with default options drops them).
EdgeList uniform_random_edges(std::int64_t num_nodes, std::int64_t num_edges, std::uint64_t seed);

/// R-MAT's quadrant probabilities (Chakrabarti et al. 2004); d = 1 - a - b - c.
struct RmatOptions {
  double a = 0.57;
  double b = 0.19;
  double c = 0.19;
};

/// `num_edges` directed edges of an R-MAT graph: each edge descends
/// ceil(log2 num_nodes) levels of the adjacency matrix, picking a quadrant
/// with probabilities a, b, c, d; ids that land past num_nodes are redrawn.
/// Degrees follow a power law, with a few hubs of very high in-degree.
EdgeList rmat_edges(std::int64_t num_nodes, std::int64_t num_edges, std::uint64_t seed,
                    const RmatOptions& options = {});

}  // namespace heed::data
