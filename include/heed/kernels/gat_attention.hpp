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

/// alpha[e, h] = softmax over the in-edges e of i of LeakyReLU(s_dst[i,h] + s_src[j,h]);
/// out[i, h, :] = sum_e dropout(alpha[e, h]) * z[j, h, :].
/// Stores alpha before dropout (E x H). Dropout element (e, h) has counter e * H + h.
/// Node-parallel over the in-CSR, rows balanced by edge count; each thread
/// writes only its own rows of out and its rows' edges of alpha. A node with
/// no in-edges gets out = 0.
template <class T>
void gat_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                           std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                           const KeyedDropout<T>& dropout, std::span<T> alpha, std::span<T> out);

/// Backward of gat_attention_forward given its alpha and out and grad_out
/// (N x H*F). Accumulates (+=) into grad_z (N x H*F), grad_s_src and
/// grad_s_dst (N x H); any may be empty. edge_work is scratch of E x H; it may
/// be alpha's own buffer (alpha is then overwritten), which saves E x H.
/// One walk of the out-CSR by source computes grad_z and grad_s_src and the
/// per-edge score gradients; a walk of the in-CSR sums those into grad_s_dst.
/// Each pass writes only the rows it owns: no atomics, and every sum runs in
/// a fixed order whatever the thread count.
template <class T>
void gat_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                            std::span<const T> s_src, std::span<const T> s_dst, T negative_slope,
                            const KeyedDropout<T>& dropout, std::span<const T> alpha,
                            std::span<const T> out, std::span<const T> grad_out,
                            std::span<T> grad_z, std::span<T> grad_s_src, std::span<T> grad_s_dst,
                            std::span<T> edge_work);

}  // namespace heed::kernels
