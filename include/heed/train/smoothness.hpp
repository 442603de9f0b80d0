#pragma once
// How far apart a layer's node representations are: the measures of
// over-smoothing (deep stacks drive every node's vector towards the same).
#include "heed/graph/graph.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::train {

/// Mean Euclidean distance over all pairs of rows i < j after scaling each
/// row to unit length (a zero row stays zero): 0 when every node points the
/// same way, up to 2. Scale-free, so it compares models whose activations
/// differ in size.
double mean_pairwise_distance(const Tensor<float>& h);

/// Dirichlet energy (1 / N) sum over edges j -> i, i != j, of ||h_i - h_j||^2:
/// 0 when neighbours agree exactly.
double dirichlet_energy(const Tensor<float>& h, const Graph& graph);

}  // namespace heed::train
