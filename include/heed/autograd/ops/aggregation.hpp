#pragma once
// Aggregations: weighted sums over a graph's in-edges, means of chosen rows,
// the mean over heads.
// Every op here has a finite-difference test in double (tests/autograd).
#include <cstdint>
#include <memory>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/kernels/aggregate.hpp"

namespace heed::ops {

/// Which input rows each output row averages: rows[offsets[r] .. offsets[r+1]).
/// An empty list gives a zero row.
struct RowMeans {
  std::vector<std::int64_t> offsets;
  std::vector<std::int64_t> rows;
};
/// out[r] = mean of x[rows of r]; used to give added self loops the mean
/// of a node's incoming edge features (PyG's fill_value="mean").
template <class T>
Var<T> row_means(Var<T> x, std::shared_ptr<const RowMeans> plan);
/// out_i = sum over in-edges e = (j -> i) of w_e z_j (GCN, mean aggregation).
/// `graph` must outlive the tape; the weights (one per edge id) are shared.
template <class T>
Var<T> weighted_aggregate(Var<T> z, const Graph& graph,
                          std::shared_ptr<const std::vector<T>> edge_weight);
/// Mean over heads: N x (H * F) -> N x F.
template <class T>
Var<T> head_mean(Var<T> x, int heads);

}  // namespace heed::ops
