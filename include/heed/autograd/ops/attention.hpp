#pragma once
// Attention on a graph's edges: GAT (node scores, with or without an edge
// term), GATv2 and scaled dot products. None stores E x H x F; GAT without
// an edge term and GATv2 store nothing per edge (they recompute their
// coefficients in backward from per-node terms), the others E x H
// coefficients.
// Every op here has a finite-difference test in double (tests/autograd).
#include <memory>

#include "heed/autograd/tape.hpp"
#include "heed/graph/graph.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/tensor/random.hpp"

namespace heed::ops {

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
/// values, not the scores). `bias` (1 x H*F, may be null) is added to
/// every output row in the same pass.
template <class T>
Var<T> gat_attention(Var<T> values, Var<T> z, Var<T> att_src, Var<T> att_dst, const Graph& graph,
                     kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& dropout,
                     Tensor<T>* alpha_out = nullptr, const Var<T>* bias = nullptr);
/// GATv2's attention: softmax over in-edges of a . LeakyReLU(x_dst[i] +
/// x_src[j]) per head (att is 1 x (H * F)), then the weighted sum of x_src[j].
/// x_src and x_dst may be the same value (shared weights). If `alpha_out` is
/// set it receives the coefficients (E x H, before dropout). `bias` (1 x
/// H*F, may be null) is added to every output row in the same pass. Nothing
/// per edge is kept for the backward. `graph` must outlive the tape.
template <class T>
Var<T> gatv2_attention(Var<T> x_src, Var<T> x_dst, Var<T> att, const Graph& graph,
                       kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& dropout,
                       Tensor<T>* alpha_out = nullptr, const Var<T>* bias = nullptr);
/// GATv2's attention with edge features: x_edge (E x (H * F), by edge id) is
/// added inside the LeakyReLU, a . LeakyReLU(x_dst[i] + x_src[j] + x_edge[e]);
/// the weighted sum is still of x_src[j].
template <class T>
Var<T> gatv2_edge_attention(Var<T> x_src, Var<T> x_dst, Var<T> x_edge, Var<T> att,
                            const Graph& graph, kernels::HeadShape shape, T negative_slope,
                            const KeyedDropout<T>& dropout, Tensor<T>* alpha_out = nullptr,
                            const Var<T>* bias = nullptr);
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

}  // namespace heed::ops
