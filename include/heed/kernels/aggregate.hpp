#pragma once
// Normalised neighbourhood sums over the in-CSR, the sparse half of GCN, of
// mean aggregation (GraphSAGE) and of GIN's sum:
//   out_i = r_i sum_{e = (j -> i)} c_j z_j  (+ b)
// The normalisation is folded into per-node scales: GCN's 1 / sqrt(deg_i deg_j)
// is r_i = c_i = deg_i^-1/2, the mean's 1 / deg_i is r_i = 1 / deg_i, c = 1.
// An edge costs its index and the gathered row only; the scales (4 bytes a
// node) stay in cache where per-edge weights would stream E values per pass.
// z and out are N x width, row-major.
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::kernels {

/// Per-node scales of a normalised sum: `source` (c_j) and `destination`
/// (r_i), N each; an empty vector means all ones.
template <class T>
struct AggregateScales {
  std::vector<T> source;
  std::vector<T> destination;
};

/// GCN's symmetric normalisation (Kipf and Welling 2017): c = r = deg^-1/2,
/// deg the in-degree (the graph should already hold its self loops, so that
/// deg >= 1 where it matters; a node without in-edges gets 0).
template <class T>
AggregateScales<T> gcn_scales(const Graph& graph);

/// Mean aggregation: r_i = 1 / deg_i (0 without in-edges), c = 1.
template <class T>
AggregateScales<T> mean_scales(const Graph& graph);

/// out = R A C z (+ bias, one row of `width`, may be empty); overwrites out.
/// Destination-parallel over the in-CSR, rows balanced by edges; a thread
/// writes only its own rows.
template <class T>
void scaled_aggregate(const Graph& graph, const AggregateScales<T>& scales, std::span<const T> z,
                      int width, std::span<T> out, std::span<const T> bias = {});

/// grad_z += C A^T R grad_out, i.e. grad_z_j += c_j sum_{e = (j -> i)} r_i grad_out_i.
/// Source-parallel over the out-CSR (whose indices are the destinations, so
/// no edge ids are read): each thread writes only its own rows of grad_z, so
/// no atomics and no dependence on the thread count.
template <class T>
void scaled_aggregate_transpose(const Graph& graph, const AggregateScales<T>& scales,
                                std::span<const T> grad_out, int width, std::span<T> grad_z);

}  // namespace heed::kernels
