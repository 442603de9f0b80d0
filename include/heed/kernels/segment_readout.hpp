#pragma once
// Readouts over the graphs of a batch: a batch of many small graphs is one
// block-diagonal graph whose graph g owns the node rows
// [offsets[g], offsets[g + 1]) (G + 1 offsets from 0 to N, never
// decreasing; a graph may have no nodes). Each readout maps N x width node
// rows to G x width graph rows (the softmax keeps N rows: it normalises
// within each graph). Every kernel runs graph-parallel: a thread owns whole
// graphs, so it writes only their output rows and, backward, only their
// node rows; no atomics, and the same sums whatever the thread count.
#include <cstdint>
#include <span>

namespace heed::kernels {

/// heed::Error, naming `op`, unless `offsets` runs from 0 to `rows` without
/// decreasing.
void check_segments(std::span<const std::int64_t> offsets, std::int64_t rows, const char* op);

/// out_g = sum_{i in g} x_i, or the mean (1 / n_g) sum_{i in g} x_i; a graph
/// without nodes gives a zero row. Overwrites out (G x width).
template <class T>
void segment_sum(std::span<const std::int64_t> offsets, std::span<const T> x, int width, bool mean,
                 std::span<T> out);

/// grad_x_i += grad_out_g (times 1 / n_g for the mean), i in g.
template <class T>
void segment_sum_backward(std::span<const std::int64_t> offsets, std::span<const T> grad_out,
                          int width, bool mean, std::span<T> grad_x);

/// out_gc = max_{i in g} x_ic, and argmax_gc the first row reaching it (-1,
/// with out 0, for a graph without nodes). Overwrites out and argmax.
template <class T>
void segment_max(std::span<const std::int64_t> offsets, std::span<const T> x, int width,
                 std::span<T> out, std::span<std::int64_t> argmax);

/// grad_x_{argmax_gc, c} += grad_out_gc: the gradient goes to the row that
/// won, as torch_scatter's max does.
template <class T>
void segment_max_backward(std::span<const std::int64_t> offsets,
                          std::span<const std::int64_t> argmax, std::span<const T> grad_out,
                          int width, std::span<T> grad_x);

/// y_ih = exp(s_ih - m_gh) / sum_{k in g} exp(s_kh - m_gh), m_gh the graph's
/// largest score: a softmax over each graph's nodes, per column (N x heads).
template <class T>
void segment_softmax(std::span<const std::int64_t> offsets, std::span<const T> scores, int heads,
                     std::span<T> out);

/// grad_s_ih += y_ih (grad_y_ih - sum_{k in g} y_kh grad_y_kh).
template <class T>
void segment_softmax_backward(std::span<const std::int64_t> offsets, std::span<const T> y,
                              std::span<const T> grad_y, int heads, std::span<T> grad_scores);

}  // namespace heed::kernels
