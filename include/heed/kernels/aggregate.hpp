#pragma once
// Weighted neighbourhood sums over the in-CSR, the sparse half of GCN and of
// mean aggregation (GraphSAGE):
//   out_i = sum_{e = (j -> i)} w_e z_j
// with per-edge weights by edge id (GCN: 1 / sqrt(deg_i deg_j); mean:
// 1 / deg_i). z and out are N x width, row-major.
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::kernels {

/// out = A_w z (overwrites out). Destination-parallel over the in-CSR, rows
/// balanced by edges; a thread writes only its own rows.
template <class T>
void weighted_aggregate(const Graph& graph, std::span<const T> edge_weight, std::span<const T> z,
                        int width, std::span<T> out);

/// grad_z += A_w^T grad_out, i.e. grad_z_j += sum_{e = (j -> i)} w_e grad_out_i.
/// Source-parallel over the out-CSR: each thread writes only its own rows of
/// grad_z, so no atomics and no dependence on the thread count.
template <class T>
void weighted_aggregate_transpose(const Graph& graph, std::span<const T> edge_weight,
                                  std::span<const T> grad_out, int width, std::span<T> grad_z);

/// GCN's symmetric normalisation (Kipf and Welling 2017) as edge weights:
/// w_e = 1 / sqrt(deg_i deg_j) for e = (j -> i), deg the in-degree (the graph
/// should already hold its self loops, so that deg >= 1 where it matters).
template <class T>
std::vector<T> gcn_edge_weights(const Graph& graph);

/// Mean aggregation's weights: w_e = 1 / deg_i for e = (j -> i).
template <class T>
std::vector<T> mean_edge_weights(const Graph& graph);

}  // namespace heed::kernels
