#pragma once
// GAT's attention as plain kernels over spans and the graph's CSRs.
//
// Layout: z is N x (H * F) row-major (head h of node j is z[j, h*F : (h+1)*F]);
// node scores s are N x H; per-edge arrays are E x H, edge ids as in
// Graph::in(). Templated on the scalar so tests run them in double.
//
// The score splits into node terms, so no per-edge feature vector exists:
//   e_ij = LeakyReLU(s_dst[i] + s_src[j]),  s_dst = z a_dst,  s_src = z a_src.
#include <span>

#include "heed/graph/graph.hpp"
#include "heed/tensor/random.hpp"

namespace heed::kernels {

struct HeadShape {
  int heads = 1;
  int channels = 1;  // features per head
  int width() const { return heads * channels; }
};

/// s[j, h] = sum_f z[j, h, f] * a[h, f].
/// Node-parallel: each thread owns whole rows of s.
template <class T>
void gat_node_scores(HeadShape shape, std::span<const T> z, std::span<const T> a, std::span<T> s);

/// Backward of gat_node_scores for upstream ds (N x H):
///   grad_z[j, h, f] += ds[j, h] * a[h, f]        (node-parallel, own rows)
///   grad_a[h, f]    += sum_j ds[j, h] * z[j, h, f]
/// grad_a sums over fixed blocks of rows, then adds the block partials in
/// block order, so the result does not depend on the thread count.
/// Either output may be empty to skip it.
template <class T>
void gat_node_scores_backward(HeadShape shape, std::span<const T> z, std::span<const T> a,
                              std::span<const T> ds, std::span<T> grad_z, std::span<T> grad_a);

/// Both node scores in one pass over z: s_src = z a_src, s_dst = z a_dst.
template <class T>
void gat_node_score_pair(HeadShape shape, std::span<const T> z, std::span<const T> a_src,
                         std::span<const T> a_dst, std::span<T> s_src, std::span<T> s_dst);

/// Backward of gat_node_score_pair in one pass over z and grad_z (+=):
///   grad_z[j, h, f] += ds_src[j, h] a_src[h, f] + ds_dst[j, h] a_dst[h, f]
///   grad_a_src[h, f] += sum_j ds_src[j, h] z[j, h, f]   (and a_dst alike)
/// Any gradient may be empty. Sums over fixed blocks of rows, independent of
/// the thread count.
template <class T>
void gat_node_score_pair_backward(HeadShape shape, std::span<const T> z, std::span<const T> a_src,
                                  std::span<const T> a_dst, std::span<const T> ds_src,
                                  std::span<const T> ds_dst, std::span<T> grad_z,
                                  std::span<T> grad_a_src, std::span<T> grad_a_dst);

/// Values per node and head that GAT's forward leaves for its backward.
inline constexpr int kGatNodeTerms = 4;

/// What GAT's backward reads besides z, s_src and out: nothing per edge.
///   node_terms   N x 4H, per node [s_dst | m | 1 / sum | A]: the softmax's
///                maximum and normaliser per head, and A_i = the summed
///                alpha of i's in-edges whose raw score s_dst + s_src is
///                positive (the backward overwrites A with c_i = <g_i, out_i>)
///   positive_out N x H*F, P_i = the share of out_i through those edges
/// alpha_e = exp(LeakyReLU(s_dst_i + s_src_j) - m_i) / sum_i is recomputed
/// from them in the backward walk, so training stores O(N) values, not E x H.
template <class T>
struct GatState {
  std::span<T> node_terms;
  std::span<T> positive_out;
};

/// alpha[e, h] = softmax over the in-edges e of i of LeakyReLU(s_dst[i,h] + s_src[j,h]);
/// out[i, h, :] = sum_e dropout(alpha[e, h]) * z[j, h, :] (+ bias[h, :]).
/// Dropout element (e, h) has counter e * H + h. `state` is filled for the
/// backward pass (leave it empty when no gradient is wanted); alpha (E x H,
/// before dropout) is written only when given, to read the attention.
/// Destination-parallel over the in-CSR, rows balanced by edge count; each
/// thread writes only its own rows of out and state and its rows' edges of
/// alpha. A node with no in-edges gets out = bias (or 0).
template <class T>
void gat_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                           std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                           const KeyedDropout<T>& dropout, std::span<T> out, GatState<T> state = {},
                           std::span<const T> bias = {}, std::span<T> alpha = {});

/// Backward of gat_attention_forward given its out (with the bias it added),
/// its state (GatState's two arrays) and grad_out (N x H*F). Accumulates
/// (+=) into grad_z (N x H*F), grad_s_src and grad_s_dst (N x H); any may be
/// empty. Overwrites the node terms' A (so it runs once per forward). A node pass gives grad_s_dst
/// from P and A without visiting an edge; one walk of the out-CSR by source
/// recomputes alpha from the destinations' node terms and gives grad_z and
/// grad_s_src. Each pass writes only the rows it owns: no atomics, no
/// per-edge buffer, and every sum runs in a fixed order whatever the thread
/// count.
template <class T>
void gat_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                            std::span<const T> s_src, T negative_slope,
                            const KeyedDropout<T>& dropout, std::span<const T> out,
                            std::span<const T> bias, std::span<T> node_terms,
                            std::span<const T> positive_out, std::span<const T> grad_out,
                            std::span<T> grad_z, std::span<T> grad_s_src, std::span<T> grad_s_dst);

}  // namespace heed::kernels
