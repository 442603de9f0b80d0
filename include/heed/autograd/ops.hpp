#pragma once
// Differentiable ops on the tape. Each records its value and its backward
// step; a backward step only runs, and only writes the gradients of inputs
// that need one. Every op here has a finite-difference test in double.
#include <memory>
#include <span>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"
#include "heed/kernels/spmm.hpp"
#include "heed/tensor/random.hpp"
#include "heed/tensor/tensor_pool.hpp"

namespace heed::ops {

/// a b (BLAS).
template <class T>
Var<T> matmul(Var<T> a, Var<T> b);
/// x W computed head by head, each head with its own dropout mask on x:
/// out[:, h-block] = (mask_h . x) W[:, h-block], for W split into `heads`
/// column blocks. The GAT authors' implementation drops each head's input
/// independently. A mostly-zero constant x goes through its nonzeros only.
template <class T>
Var<T> head_dropout_matmul(Var<T> x, Var<T> w, int heads, const KeyedDropout<T>& dropout);
/// The same for a constant sparse x (no gradient reaches x), which may be
/// built once and shared by many tapes.
template <class T>
Var<T> head_dropout_matmul(std::shared_ptr<const kernels::SparseMatrix<T>> x, Var<T> w, int heads,
                           const KeyedDropout<T>& dropout);
/// True if at most `kSparseDensity` of x is nonzero: then products with a
/// constant x go through its nonzeros only.
template <class T>
bool mostly_zero(const Tensor<T>& x);
inline constexpr double kSparseDensity = 0.1;
/// x + bias, bias a 1 x cols row added to every row.
template <class T>
Var<T> add_bias(Var<T> x, Var<T> bias);
/// a + b, same shapes.
template <class T>
Var<T> add(Var<T> a, Var<T> b);
/// ReLU: max(x, 0).
template <class T>
Var<T> relu(Var<T> x);
/// ELU: x if x > 0, alpha (exp(x) - 1) otherwise.
template <class T>
Var<T> elu(Var<T> x, T alpha = T(1));
/// Inverted dropout with a keyed mask (element i keeps its key's draw).
template <class T>
Var<T> dropout(Var<T> x, const KeyedDropout<T>& dropout);
/// GAT node scores s[j, h] = a[h] . z[j, h, :]; a is 1 x (H * F).
template <class T>
Var<T> gat_node_scores(Var<T> z, Var<T> a, kernels::HeadShape shape);
/// Softmax over in-edges of LeakyReLU(s_dst[i] + s_src[j]), then the
/// attention-weighted sum of z_j. If `alpha_out` is set it receives the
/// coefficients (E x H, before dropout). `graph` must outlive the tape.
template <class T>
Var<T> gat_attention(Var<T> z, Var<T> s_src, Var<T> s_dst, const Graph& graph,
                     kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& dropout,
                     Tensor<T>* alpha_out = nullptr);
/// GAT's attention with its node scores, as GATConv uses it:
///   gat_attention(values, gat_node_scores(z, att_src), gat_node_scores(z, att_dst))
/// with both scores from one pass over z, and in backward both score
/// gradients taken back through z in one pass. `values` is z itself, or z
/// after the GAT authors' feature dropout (which reaches the aggregated
/// values, not the scores).
/// With `pool` set, the E x H coefficients live in a buffer from it, reused
/// from step to step instead of mapped afresh.
template <class T>
Var<T> gat_attention(Var<T> values, Var<T> z, Var<T> att_src, Var<T> att_dst, const Graph& graph,
                     kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& dropout,
                     Tensor<T>* alpha_out = nullptr,
                     const std::shared_ptr<TensorPool<T>>& pool = nullptr);
/// GATv2's attention: softmax over in-edges of a . LeakyReLU(x_dst[i] +
/// x_src[j]) per head (att is 1 x (H * F)), then the weighted sum of x_src[j].
/// x_src and x_dst may be the same value (shared weights). If `alpha_out` is
/// set it receives the coefficients (E x H, before dropout). `graph` must
/// outlive the tape.
template <class T>
Var<T> gatv2_attention(Var<T> x_src, Var<T> x_dst, Var<T> att, const Graph& graph,
                       kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& dropout,
                       Tensor<T>* alpha_out = nullptr);
/// GATv2's attention with edge features: x_edge (E x (H * F), by edge id) is
/// added inside the LeakyReLU, a . LeakyReLU(x_dst[i] + x_src[j] + x_edge[e]);
/// the weighted sum is still of x_src[j].
template <class T>
Var<T> gatv2_edge_attention(Var<T> x_src, Var<T> x_dst, Var<T> x_edge, Var<T> att,
                            const Graph& graph, kernels::HeadShape shape, T negative_slope,
                            const KeyedDropout<T>& dropout, Tensor<T>* alpha_out = nullptr);
/// GAT's attention with a per-edge score term (edge features):
/// softmax over in-edges of LeakyReLU(s_dst[i] + s_src[j] + s_edge[e]), then
/// the weighted sum of z_j. s_edge is E x H by edge id.
template <class T>
Var<T> gat_edge_attention(Var<T> z, Var<T> s_src, Var<T> s_dst, Var<T> s_edge, const Graph& graph,
                          kernels::HeadShape shape, T negative_slope,
                          const KeyedDropout<T>& dropout, Tensor<T>* alpha_out = nullptr);
/// Scaled dot-product attention on the graph's in-edges, per head (q, k, v
/// are N x (H * d)): alpha_ij = softmax_j(q_i . k_j / sqrt(d)), out_i =
/// sum_j alpha_ij v_j. `alpha_out` receives the coefficients (E x H, before
/// dropout). `graph` must outlive the tape.
template <class T>
Var<T> graph_dot_attention(Var<T> q, Var<T> k, Var<T> v, const Graph& graph,
                           kernels::HeadShape shape, const KeyedDropout<T>& dropout = {},
                           Tensor<T>* alpha_out = nullptr);
/// The same on dense N x N score matrices through BLAS, as a transformer
/// computes it. `mask` (N * N, row i = query i, column j = key j; nonzero:
/// allowed), if set, hides the other pairs; a row with nothing allowed gets
/// zeros. `attention_out` receives the (H * N) x N attention matrices, head
/// by head. `pool`, if set, lends the N x N buffers (kept for backward, and
/// scratch), so that a model reuses them from step to step.
template <class T>
Var<T> dense_attention(Var<T> q, Var<T> k, Var<T> v, int heads,
                       std::shared_ptr<const std::vector<std::uint8_t>> mask = nullptr,
                       Tensor<T>* attention_out = nullptr,
                       std::shared_ptr<TensorPool<T>> pool = nullptr);
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
/// Layer normalisation of each row (Ba et al. 2016):
///   y = gamma .* (x - mean(x)) / sqrt(var(x) + eps) + beta,
/// with the biased variance; gamma and beta are 1 x cols.
template <class T>
Var<T> layer_norm(Var<T> x, Var<T> gamma, Var<T> beta, T eps = T(1e-5));
/// Row-wise log-softmax.
template <class T>
Var<T> log_softmax(Var<T> x);
/// Mean over `rows` of -logp[r, labels[r]] (1 x 1).
template <class T>
Var<T> nll_loss(Var<T> log_probs, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows);

}  // namespace heed::ops
