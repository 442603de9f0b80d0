#include "heed/kernels/segment_readout.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "heed/error.hpp"
#include "size_check.hpp"

namespace heed::kernels {
namespace {

// Graphs in the batch; a kernel called without offsets is a caller's bug.
std::int64_t segments(std::span<const std::int64_t> offsets) {
  if (offsets.empty()) throw Error("segment readout kernel: no graph offsets");
  return std::int64_t(offsets.size()) - 1;
}

// Graphs are claimed in small chunks: a batch mixes sizes, and a static
// split could give one thread the large ones.
constexpr int kChunk = 8;

}  // namespace

void check_segments(std::span<const std::int64_t> offsets, std::int64_t rows, const char* op) {
  if (offsets.empty()) {
    throw Error(std::string(op) + ": no graph offsets (a batch of G graphs has G + 1)");
  }
  if (offsets.front() != 0 || offsets.back() != rows) {
    throw Error(std::string(op) + ": graph offsets run from " + std::to_string(offsets.front()) +
                " to " + std::to_string(offsets.back()) + ", expected 0 to the input's " +
                std::to_string(rows) + " rows");
  }
  for (std::size_t g = 0; g + 1 < offsets.size(); ++g) {
    if (offsets[g + 1] < offsets[g]) {
      throw Error(std::string(op) + ": graph offset " + std::to_string(g + 1) + " (" +
                  std::to_string(offsets[g + 1]) + ") is below offset " + std::to_string(g) + " (" +
                  std::to_string(offsets[g]) + ")");
    }
  }
}

template <class T>
void segment_sum(std::span<const std::int64_t> offsets, std::span<const T> x, int width, bool mean,
                 std::span<T> out) {
  const std::int64_t graphs = segments(offsets);
  const std::size_t w = std::size_t(width);
  check_size("segment_sum", "x", x.size(), std::size_t(offsets.back()) * w);
  check_size("segment_sum", "out", out.size(), std::size_t(graphs) * w);
#pragma omp parallel for schedule(dynamic, kChunk)
  for (std::int64_t g = 0; g < graphs; ++g) {
    T* __restrict o = out.data() + std::size_t(g) * w;
    std::fill(o, o + w, T(0));
    const std::int64_t begin = offsets[std::size_t(g)], end = offsets[std::size_t(g) + 1];
    for (std::int64_t i = begin; i < end; ++i) {
      const T* __restrict xi = x.data() + std::size_t(i) * w;
      for (std::size_t c = 0; c < w; ++c) o[c] += xi[c];
    }
    if (mean && end > begin) {
      const T inv = T(1) / T(end - begin);
      for (std::size_t c = 0; c < w; ++c) o[c] *= inv;
    }
  }
}

template <class T>
void segment_sum_backward(std::span<const std::int64_t> offsets, std::span<const T> grad_out,
                          int width, bool mean, std::span<T> grad_x) {
  const std::int64_t graphs = segments(offsets);
  const std::size_t w = std::size_t(width);
  check_size("segment_sum_backward", "grad_out", grad_out.size(), std::size_t(graphs) * w);
  check_size("segment_sum_backward", "grad_x", grad_x.size(), std::size_t(offsets.back()) * w);
#pragma omp parallel for schedule(dynamic, kChunk)
  for (std::int64_t g = 0; g < graphs; ++g) {
    const std::int64_t begin = offsets[std::size_t(g)], end = offsets[std::size_t(g) + 1];
    if (end == begin) continue;
    const T scale = mean ? T(1) / T(end - begin) : T(1);
    const T* __restrict go = grad_out.data() + std::size_t(g) * w;
    for (std::int64_t i = begin; i < end; ++i) {
      T* __restrict gi = grad_x.data() + std::size_t(i) * w;
      for (std::size_t c = 0; c < w; ++c) gi[c] += scale * go[c];
    }
  }
}

template <class T>
void segment_max(std::span<const std::int64_t> offsets, std::span<const T> x, int width,
                 std::span<T> out, std::span<std::int64_t> argmax) {
  const std::int64_t graphs = segments(offsets);
  const std::size_t w = std::size_t(width);
  check_size("segment_max", "x", x.size(), std::size_t(offsets.back()) * w);
  check_size("segment_max", "out", out.size(), std::size_t(graphs) * w);
  check_size("segment_max", "argmax", argmax.size(), std::size_t(graphs) * w);
#pragma omp parallel for schedule(dynamic, kChunk)
  for (std::int64_t g = 0; g < graphs; ++g) {
    T* o = out.data() + std::size_t(g) * w;
    std::int64_t* a = argmax.data() + std::size_t(g) * w;
    const std::int64_t begin = offsets[std::size_t(g)], end = offsets[std::size_t(g) + 1];
    if (begin == end) {
      std::fill(o, o + w, T(0));
      std::fill(a, a + w, std::int64_t(-1));
      continue;
    }
    const T* x0 = x.data() + std::size_t(begin) * w;
    std::copy(x0, x0 + w, o);
    std::fill(a, a + w, begin);
    for (std::int64_t i = begin + 1; i < end; ++i) {
      const T* xi = x.data() + std::size_t(i) * w;
      for (std::size_t c = 0; c < w; ++c) {
        // Strictly greater: ties keep the first row. NaN never wins, so a
        // NaN input is caught by the loss, not hidden here.
        if (xi[c] > o[c]) o[c] = xi[c], a[c] = i;
      }
    }
  }
}

template <class T>
void segment_max_backward(std::span<const std::int64_t> offsets,
                          std::span<const std::int64_t> argmax, std::span<const T> grad_out,
                          int width, std::span<T> grad_x) {
  const std::int64_t graphs = segments(offsets);
  const std::size_t w = std::size_t(width);
  check_size("segment_max_backward", "argmax", argmax.size(), std::size_t(graphs) * w);
  check_size("segment_max_backward", "grad_out", grad_out.size(), std::size_t(graphs) * w);
  check_size("segment_max_backward", "grad_x", grad_x.size(), std::size_t(offsets.back()) * w);
  // A graph's winners are its own rows, so threads that own different
  // graphs never write the same element.
#pragma omp parallel for schedule(dynamic, kChunk)
  for (std::int64_t g = 0; g < graphs; ++g) {
    for (std::size_t c = 0; c < w; ++c) {
      const std::int64_t i = argmax[std::size_t(g) * w + c];
      if (i >= 0) grad_x[std::size_t(i) * w + c] += grad_out[std::size_t(g) * w + c];
    }
  }
}

template <class T>
void segment_softmax(std::span<const std::int64_t> offsets, std::span<const T> scores, int heads,
                     std::span<T> out) {
  const std::int64_t graphs = segments(offsets);
  const std::size_t h = std::size_t(heads);
  check_size("segment_softmax", "scores", scores.size(), std::size_t(offsets.back()) * h);
  check_size("segment_softmax", "out", out.size(), scores.size());
#pragma omp parallel for schedule(dynamic, kChunk)
  for (std::int64_t g = 0; g < graphs; ++g) {
    const std::int64_t begin = offsets[std::size_t(g)], end = offsets[std::size_t(g) + 1];
    for (std::size_t k = 0; k < h; ++k) {
      T top = -std::numeric_limits<T>::infinity();
      for (std::int64_t i = begin; i < end; ++i)
        top = std::max(top, scores[std::size_t(i) * h + k]);
      T sum = 0;
      for (std::int64_t i = begin; i < end; ++i) {
        const T e = std::exp(scores[std::size_t(i) * h + k] - top);
        out[std::size_t(i) * h + k] = e;
        sum += e;
      }
      const T inv = T(1) / sum;
      for (std::int64_t i = begin; i < end; ++i) out[std::size_t(i) * h + k] *= inv;
    }
  }
}

template <class T>
void segment_softmax_backward(std::span<const std::int64_t> offsets, std::span<const T> y,
                              std::span<const T> grad_y, int heads, std::span<T> grad_scores) {
  const std::int64_t graphs = segments(offsets);
  const std::size_t h = std::size_t(heads);
  check_size("segment_softmax_backward", "y", y.size(), std::size_t(offsets.back()) * h);
  check_size("segment_softmax_backward", "grad_y", grad_y.size(), y.size());
  check_size("segment_softmax_backward", "grad_scores", grad_scores.size(), y.size());
#pragma omp parallel for schedule(dynamic, kChunk)
  for (std::int64_t g = 0; g < graphs; ++g) {
    const std::int64_t begin = offsets[std::size_t(g)], end = offsets[std::size_t(g) + 1];
    for (std::size_t k = 0; k < h; ++k) {
      T dot = 0;
      for (std::int64_t i = begin; i < end; ++i) {
        dot += y[std::size_t(i) * h + k] * grad_y[std::size_t(i) * h + k];
      }
      for (std::int64_t i = begin; i < end; ++i) {
        const std::size_t at = std::size_t(i) * h + k;
        grad_scores[at] += y[at] * (grad_y[at] - dot);
      }
    }
  }
}

#define HEED_INSTANTIATE(T)                                                                     \
  template void segment_sum<T>(std::span<const std::int64_t>, std::span<const T>, int, bool,    \
                               std::span<T>);                                                   \
  template void segment_sum_backward<T>(std::span<const std::int64_t>, std::span<const T>, int, \
                                        bool, std::span<T>);                                    \
  template void segment_max<T>(std::span<const std::int64_t>, std::span<const T>, int,          \
                               std::span<T>, std::span<std::int64_t>);                          \
  template void segment_max_backward<T>(std::span<const std::int64_t>,                          \
                                        std::span<const std::int64_t>, std::span<const T>, int, \
                                        std::span<T>);                                          \
  template void segment_softmax<T>(std::span<const std::int64_t>, std::span<const T>, int,      \
                                   std::span<T>);                                               \
  template void segment_softmax_backward<T>(std::span<const std::int64_t>, std::span<const T>,  \
                                            std::span<const T>, int, std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
