#pragma once
// Aggregations: normalised sums over a graph's in-edges, means of chosen rows,
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
/// out_i = r_i sum over in-edges e = (j -> i) of c_j z_j (+ bias): GCN's,
/// the mean's and GIN's sums with their normalisation as per-node scales
/// (kernels::AggregateScales) and the bias added in the same pass. `graph`
/// must outlive the tape; the scales are shared (null: a plain sum). `bias`
/// (1 x width) may be null.
template <class T>
Var<T> scaled_aggregate(Var<T> z, const Graph& graph,
                        std::shared_ptr<const kernels::AggregateScales<T>> scales,
                        const Var<T>* bias = nullptr);
/// Mean over heads: N x (H * F) -> N x F.
template <class T>
Var<T> head_mean(Var<T> x, int heads);

}  // namespace heed::ops
