#pragma once
// Scaled dot-product attention on a graph's edges (PyG's TransformerConv):
// per head h, over the in-edges e = (j -> i),
//   alpha_e = softmax_j (q_i . k_j / sqrt(d)),   out_i = sum_e drop(alpha_e) v_j.
// On the complete graph with self loops this is a transformer's multi-head
// self-attention. Layout as in gat_attention.hpp: node rows of H heads x d
// features, per-edge arrays E x H by edge id.
#include <span>

#include "heed/graph/graph.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/tensor/random.hpp"

namespace heed::kernels {

/// Forward; stores alpha before dropout (E x H), dropout counters e * H + h.
/// Destination-parallel; a node without in-edges gets zeros.
template <class T>
void dot_product_attention_forward(const Graph& graph, HeadShape shape, std::span<const T> q,
                                   std::span<const T> k, std::span<const T> v,
                                   const KeyedDropout<T>& dropout, std::span<T> alpha,
                                   std::span<T> out);

/// Backward, accumulating (+=) into grad_q, grad_k, grad_v (any may be empty):
///   ds_e = alpha_e (drop_e <g_i, v_j> - <g_i, out_i>) / sqrt(d)
///   grad_q_i += sum_e ds_e k_j;  grad_k_j += sum_e ds_e q_i;  grad_v_j += sum_e alpha_e drop_e g_i
/// The shared edge-softmax walk (src/kernels/edge_softmax.hpp): a source pass
/// over the out-CSR forms ds (E x H scratch) and sums grad_k and grad_v; a
/// destination pass over the in-CSR sums grad_q. No atomics.
template <class T>
void dot_product_attention_backward(const Graph& graph, HeadShape shape, std::span<const T> q,
                                    std::span<const T> k, std::span<const T> v,
                                    const KeyedDropout<T>& dropout, std::span<const T> alpha,
                                    std::span<const T> out, std::span<const T> grad_out,
                                    std::span<T> grad_q, std::span<T> grad_k, std::span<T> grad_v);

}  // namespace heed::kernels
