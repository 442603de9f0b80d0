#pragma once
// GATv2's dynamic attention (Brody et al., ICLR 2022) as kernels over the
// graph's CSRs. Layout as in gat_attention.hpp: node rows of H heads x F
// features, per-edge arrays E x H by edge id.
//
//   e_ij[h] = sum_f a[h,f] LeakyReLU(x_dst[i,h,f] + x_src[j,h,f] (+ x_edge[e,h,f]))
//   alpha_ij = softmax_j e_ij,   out_i = sum_j drop(alpha_ij) x_src[j]
//
// The LeakyReLU sits inside the dot product, so the score does not split into
// node terms as GAT's does; the kernels form x_dst[i] + x_src[j] per edge in
// registers and never store anything per edge x feature.
#include <span>

#include "heed/graph/graph.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/tensor/random.hpp"

namespace heed::kernels {

/// Values per node and head GATv2's forward leaves for its backward:
/// [m | 1 / sum | c] per node, the softmax's maximum and normaliser, and a
/// slot for c_i = <g_i, out_i> that the backward fills. With them the
/// backward recomputes each edge's score and alpha where it needs them, so
/// nothing per edge is stored between the passes.
inline constexpr int kGatv2NodeTerms = 3;

/// Forward: out_i = sum_e drop(alpha_e) x_src_j (+ bias). `node_terms`
/// (N x 3H) is filled for the backward (leave it empty when no gradient is
/// wanted); alpha (E x H, before dropout) is written only when given, to
/// read the attention. Dropout element (e, h) has counter e * H + h.
/// Destination-parallel over the in-CSR, rows balanced by edges: a thread
/// writes only its rows of out and node_terms and its rows' edges of alpha.
/// A node with no in-edges gets out = bias (or 0). x_edge (E x H*F by edge
/// id, the projected edge features) is optional: it enters the score, not
/// the sum.
template <class T>
void gatv2_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> x_src,
                             std::span<const T> x_dst, std::span<const T> att, T negative_slope,
                             const KeyedDropout<T>& dropout, std::span<T> out,
                             std::span<T> node_terms = {}, std::span<const T> bias = {},
                             std::span<T> alpha = {}, std::span<const T> x_edge = {});

/// Backward given the forward's out (with the bias it added), its node
/// terms (whose c slots it fills) and grad_out (N x H*F). Accumulates (+=)
/// into grad_x_src, grad_x_dst (N x H*F), grad_att (H*F) and, with x_edge,
/// grad_x_edge (E x H*F); any may be empty. A walk of the out-CSR by source
/// computes grad_x_src; a walk of the in-CSR by destination computes
/// grad_x_dst, grad_x_edge and grad_att (the latter summed over fixed blocks
/// of rows, then block by block, so the result does not depend on the thread
/// count). Each recomputes an edge's alpha and score gradient from the
/// destination's node terms. No atomics, no per-edge buffers.
template <class T>
void gatv2_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> x_src,
                              std::span<const T> x_dst, std::span<const T> att, T negative_slope,
                              const KeyedDropout<T>& dropout, std::span<const T> out,
                              std::span<const T> bias, std::span<T> node_terms,
                              std::span<const T> grad_out, std::span<T> grad_x_src,
                              std::span<T> grad_x_dst, std::span<T> grad_att,
                              std::span<const T> x_edge = {}, std::span<T> grad_x_edge = {});

}  // namespace heed::kernels
