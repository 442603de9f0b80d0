#pragma once
// The WL bound, shown (seed: "GATs, like other GNNs, are bounded by the
// Weisfeiler-Leman test"): pairs of small graphs, 1-WL's verdict on each,
// and how far apart each model's graph embeddings land, over random
// initialisations. `heed experiment wl` prints it.
#include <map>
#include <string>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::studies {

struct WlPair {
  std::string name;
  Graph a, b;  // undirected: both directions of every edge
};

/// The classic pairs 1-WL cannot tell apart (a 6-cycle and two triangles,
/// decalin and bicyclopentyl, the cube and the Wagner graph: 3-regular on 8
/// nodes), then pairs of equal size it separates (a 6-cycle and a tadpole,
/// a path and a star on 4 nodes).
std::vector<WlPair> wl_pairs();

struct WlRow {
  std::string pair;
  bool wl_indistinguishable = false;
  /// Per model: the largest |difference| between the two graphs'
  /// embeddings over the seeds (in double).
  std::map<std::string, double> largest_difference;
};

/// Rows beyond the convs: a transformer with dense attention over all pairs
/// (blind to the graph: every node sees every node), and the same with
/// Laplacian encodings (kWlLaplacianK eigenvectors), which see structure
/// that 1-WL's colours do not: "the higher-dimensional way out".
inline constexpr const char* kTransformer = "transformer";
inline constexpr const char* kTransformerLpe = "transformer+lpe";
inline constexpr int kWlLaplacianK = 3;

/// Each model (a registered conv or one of the transformers above, 3
/// layers, sum readout, in double) embeds both graphs of every pair, its
/// nodes' features all one row (1-WL's one starting colour), for seeds
/// 0 .. seeds - 1.
std::vector<WlRow> run_wl_study(const std::vector<std::string>& models, int seeds);

}  // namespace heed::studies
