#pragma once
// 1-dimensional Weisfeiler-Leman colour refinement: every node starts with
// one colour, and each round a node's new colour names its colour together
// with the multiset of its in-neighbours' colours. Two graphs that end with
// the same colour histogram cannot be told apart by 1-WL, nor by any
// message-passing GNN whose aggregation is a function of that multiset
// (Xu et al. 2019, Morris et al. 2019): GAT, GATv2, GCN and GIN among them.
#include <cstdint>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed {

/// Each node's colour after refining until the partition is stable (at most
/// num_nodes rounds), from `initial` colours (empty: all nodes alike).
/// Colours are numbered 0, 1, ... in order of first appearance by node, so
/// they are canonical for this graph only; compare graphs with
/// wl_indistinguishable().
std::vector<std::int64_t> wl_colours(const Graph& graph,
                                     const std::vector<std::int64_t>& initial = {});

/// Whether 1-WL fails to tell `a` from `b`: refined together (as one
/// disjoint union, so that colours mean the same in both), every round's
/// colour histogram is the same for both graphs.
bool wl_indistinguishable(const Graph& a, const Graph& b);

}  // namespace heed
