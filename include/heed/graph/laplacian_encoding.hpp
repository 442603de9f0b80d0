#pragma once
// Laplacian positional encodings (Dwivedi et al. 2020; GraphGPS): each node's
// entries in the eigenvectors of the symmetric normalised Laplacian
//   L = I - D^-1/2 A D^-1/2
// with the smallest non-zero eigenvalues. A is the graph made undirected,
// without self loops. A graph with c connected components has c zero
// eigenvalues (one constant-ish vector per component); those say nothing
// about position inside a component and are skipped. An isolated node's row
// of L is zero (networkx's convention), so it is a component of its own and
// its encoding is all zeros.
#include <cstdint>
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed {

enum class EigenSolver {
  kAuto,    // dense below kDenseLaplacianNodes nodes, else sparse
  kDense,   // Eigen's SelfAdjointEigenSolver on the N x N matrix: O(N^3)
  kSparse,  // Spectra's Lanczos on (L + sigma I)^-1 (sparse Cholesky), the
            // components' null space projected out
};

/// Up to this many nodes, kAuto solves densely.
inline constexpr std::int64_t kDenseLaplacianNodes = 400;

struct LaplacianEncoding {
  std::int64_t nodes = 0;
  int k = 0;
  /// How many of the k columns hold eigenvectors: fewer than k when the
  /// graph has fewer non-zero eigenvalues; the rest are zeros.
  int found = 0;
  int components = 0;
  /// Ascending, one per column (0 for padding columns).
  std::vector<double> eigenvalues;
  /// nodes x k, row-major: row i is node i's encoding. Unit-length columns,
  /// each signed so that its first entry of largest magnitude (to a relative
  /// 1e-6) is positive: the solver's sign is arbitrary, and a saved model
  /// must see the same encodings again (training flips signs at random).
  std::vector<double> vectors;
};

/// The k eigenvectors of L with the smallest non-zero eigenvalues. Throws
/// heed::Error if k < 1 or the solver does not converge.
LaplacianEncoding laplacian_encoding(const Graph& graph, int k,
                                     EigenSolver solver = EigenSolver::kAuto);

/// The encodings of a batch of graphs (one block-diagonal graph, graph g
/// owning the nodes [offsets[g], offsets[g + 1])): each graph's own, as if
/// it were alone, so that a graph's encoding does not depend on the batch it
/// is in (the union's spectrum mixes the graphs' eigenvalues). nodes x k,
/// row-major. Throws heed::Error if an edge joins two graphs.
std::vector<double> laplacian_encodings_per_graph(const Graph& batch,
                                                  std::span<const std::int64_t> offsets, int k);

}  // namespace heed
