#pragma once
// GAT's attention with a per-edge term in the score, for edge features
// (PyG's edge_dim): with s_edge[e, h] = (W_e x_e) . a_edge[h],
//   e_ij = LeakyReLU(s_dst[i] + s_src[j] + s_edge[e]),  alpha = softmax_j e_ij,
//   out_i = sum_e drop(alpha_e) z_j.
// Layout as in gat_attention.hpp. Plain loops: the fused fast paths of
// gat_attention serve the common case without edge features.
#include <span>

#include "heed/graph/graph.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/tensor/random.hpp"

namespace heed::kernels {

/// Forward; stores alpha before dropout (E x H); dropout counters as in
/// gat_attention_forward. Destination-parallel; a node without in-edges gets 0.
template <class T>
void gat_edge_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> z,
                                std::span<const T> s_src, std::span<const T> s_dst,
                                std::span<const T> s_edge, T negative_slope,
                                const KeyedDropout<T>& dropout, std::span<T> alpha,
                                std::span<T> out);

/// Backward given alpha, out and grad_out. Accumulates (+=) into grad_z,
/// grad_s_src, grad_s_dst and grad_s_edge (any may be empty). The shared
/// edge-softmax walk: a source-parallel walk of the out-CSR forms the score
/// gradients (E x H scratch) and sums grad_z and grad_s_src; a
/// destination-parallel walk of the in-CSR sums grad_s_dst and grad_s_edge.
/// No atomics: the same result on any thread count.
template <class T>
void gat_edge_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> z,
                                 std::span<const T> s_src, std::span<const T> s_dst,
                                 std::span<const T> s_edge, T negative_slope,
                                 const KeyedDropout<T>& dropout, std::span<const T> alpha,
                                 std::span<const T> out, std::span<const T> grad_out,
                                 std::span<T> grad_z, std::span<T> grad_s_src,
                                 std::span<T> grad_s_dst, std::span<T> grad_s_edge);

}  // namespace heed::kernels
