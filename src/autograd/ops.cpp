#include "heed/autograd/ops.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "heed/error.hpp"
#include "heed/kernels/dot_product_attention.hpp"
#include "heed/kernels/exp.hpp"
#include "heed/kernels/gat_edge_attention.hpp"
#include "heed/kernels/spmm.hpp"
#include "heed/tensor/blas.hpp"

namespace heed::ops {
namespace {

template <class T>
void require_same_tape(Var<T> a, Var<T> b, const char* op) {
  if (&a.tape() != &b.tape()) throw Error(std::string(op) + ": inputs on different tapes");
}

template <class T>
void require_shape(const Tensor<T>& t, std::size_t rows, std::size_t cols, const char* op,
                   const char* what) {
  if (t.rows() != rows || t.cols() != cols) {
    throw Error(std::string(op) + ": " + what + " is " + t.shape_string() + ", expected [" +
                std::to_string(rows) + " x " + std::to_string(cols) + "]");
  }
}

}  // namespace

template <class T>
Var<T> matmul(Var<T> a, Var<T> b) {
  require_same_tape(a, b, "matmul");
  Tape<T>& tape = a.tape();
  const Tensor<T>& av = a.value();
  const Tensor<T>& bv = b.value();
  if (av.cols() != bv.rows()) {
    throw Error("matmul: " + av.shape_string() + " times " + bv.shape_string());
  }
  Tensor<T> out(av.rows(), bv.cols());
  const std::size_t ia = a.id(), ib = b.id();
  // A mostly-zero constant left factor (bag-of-words features, after dropout)
  // goes through its nonzeros only; this is exact, not an approximation.
  if (!a.requires_grad() && mostly_zero(av)) {
    return head_dropout_matmul(
        std::make_shared<const kernels::SparseMatrix<T>>(kernels::sparse_matrix(av)), b, 1,
        KeyedDropout<T>{});
  }
  gemm(Transpose::kNo, Transpose::kNo, T(1), av, bv, T(0), out);
  return tape.record(
      std::move(out), a.requires_grad() || b.requires_grad(), [&tape, ia, ib](const Tensor<T>& g) {
        // dA = dY B^T, dB = A^T dY.
        if (tape.requires_grad(ia)) {
          gemm(Transpose::kNo, Transpose::kYes, T(1), g, tape.value(ib), T(1), tape.grad(ia));
        }
        if (tape.requires_grad(ib)) {
          gemm(Transpose::kYes, Transpose::kNo, T(1), tape.value(ia), g, T(1), tape.grad(ib));
        }
      });
}

namespace {

// x with head h of `heads` dropout masks applied: element k (row-major) has
// counter k * heads + h, as in the sparse path (kernels::HeadDropout).
template <class T>
Tensor<T> masked_for_head(const Tensor<T>& x, const KeyedDropout<T>& drop, int h, int heads) {
  Tensor<T> out = x;
  const std::int64_t n = std::int64_t(x.size());
  if (heads == 1) {
    // Consecutive counters: four elements per draw, in blocks of 64.
#pragma omp parallel for schedule(guided)
    for (std::int64_t b = 0; b < n; b += 64) {
      T scale[64];
      const int count = int(std::min<std::int64_t>(64, n - b));
      drop.scales(std::uint64_t(b), count, scale);
      for (int k = 0; k < count; ++k) out.data()[b + k] *= scale[k];
    }
    return out;
  }
#pragma omp parallel for schedule(guided)
  for (std::int64_t k = 0; k < n; ++k) {
    if (out.data()[k] != T(0)) {
      out.data()[k] *= drop.scale(std::uint64_t(k) * std::uint64_t(heads) + std::uint64_t(h));
    }
  }
  return out;
}

// Columns [begin, begin + width) of m as their own matrix, and back.
template <class T>
Tensor<T> column_block(const Tensor<T>& m, std::size_t begin, std::size_t width) {
  Tensor<T> out(m.rows(), width);
  for (std::size_t r = 0; r < m.rows(); ++r) {
    std::copy_n(m.row(r).data() + begin, width, out.row(r).data());
  }
  return out;
}

template <class T>
void add_column_block(const Tensor<T>& block, std::size_t begin, Tensor<T>& m) {
  for (std::size_t r = 0; r < m.rows(); ++r) {
    T* dst = m.row(r).data() + begin;
    const T* src = block.row(r).data();
    for (std::size_t c = 0; c < block.cols(); ++c) dst[c] += src[c];
  }
}

}  // namespace

template <class T>
Var<T> head_dropout_matmul(Var<T> x, Var<T> w, int heads, const KeyedDropout<T>& drop) {
  require_same_tape(x, w, "head_dropout_matmul");
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("head_dropout_matmul: probability must be in [0, 1), got " +
                std::to_string(drop.p));
  }
  if (!drop.active()) return matmul(x, w);
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  const Tensor<T>& wv = w.value();
  if (xv.cols() != wv.rows() || heads < 1 || wv.cols() % std::size_t(heads) != 0) {
    throw Error("head_dropout_matmul: " + xv.shape_string() + " times " + wv.shape_string() +
                " in " + std::to_string(heads) + " heads");
  }
  if (!x.requires_grad() && mostly_zero(xv)) {
    return head_dropout_matmul(
        std::make_shared<const kernels::SparseMatrix<T>>(kernels::sparse_matrix(xv)), w, heads,
        drop);
  }
  const std::size_t width = wv.cols() / std::size_t(heads);
  Tensor<T> out(xv.rows(), wv.cols());
  const std::size_t ix = x.id(), iw = w.id();
  for (int h = 0; h < heads; ++h) {
    Tensor<T> block(xv.rows(), width);
    gemm(Transpose::kNo, Transpose::kNo, T(1), masked_for_head(xv, drop, h, heads),
         column_block(wv, std::size_t(h) * width, width), T(0), block);
    add_column_block(block, std::size_t(h) * width, out);
  }
  return tape.record(std::move(out), x.requires_grad() || w.requires_grad(),
                     [&tape, ix, iw, heads, width, drop](const Tensor<T>& g) {
                       const Tensor<T>& xv = tape.value(ix);
                       const Tensor<T>& wv = tape.value(iw);
                       for (int h = 0; h < heads; ++h) {
                         const std::size_t begin = std::size_t(h) * width;
                         const Tensor<T> gh = column_block(g, begin, width);
                         if (tape.requires_grad(iw)) {
                           // dW_h = (mask_h . X)^T dY_h
                           Tensor<T> dw(wv.rows(), width);
                           gemm(Transpose::kYes, Transpose::kNo, T(1),
                                masked_for_head(xv, drop, h, heads), gh, T(0), dw);
                           add_column_block(dw, begin, tape.grad(iw));
                         }
                         if (tape.requires_grad(ix)) {
                           // dX += mask_h . (dY_h W_h^T)
                           Tensor<T> dx(xv.rows(), xv.cols());
                           gemm(Transpose::kNo, Transpose::kYes, T(1), gh,
                                column_block(wv, begin, width), T(0), dx);
                           const Tensor<T> masked = masked_for_head(dx, drop, h, heads);
                           T* gx = tape.grad(ix).data();
                           for (std::size_t k = 0; k < dx.size(); ++k) gx[k] += masked.data()[k];
                         }
                       }
                     });
}

template <class T>
bool mostly_zero(const Tensor<T>& x) {
  // Stops as soon as the answer is known: a dense input is found out after
  // about a tenth of it, so constant dense inputs pay little for the check.
  const std::int64_t limit = std::int64_t(kSparseDensity * double(x.size()));
  const std::int64_t n = std::int64_t(x.size());
  const T* v = x.data();
  std::int64_t count = 0;
  for (std::int64_t b = 0; b < n; b += 4096) {
    const std::int64_t end = std::min(n, b + 4096);
    for (std::int64_t k = b; k < end; ++k) count += v[k] != T(0);
    if (count > limit) return false;
  }
  return true;
}

template <class T>
Var<T> head_dropout_matmul(std::shared_ptr<const kernels::SparseMatrix<T>> x, Var<T> w, int heads,
                           const KeyedDropout<T>& drop) {
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("head_dropout_matmul: probability must be in [0, 1), got " +
                std::to_string(drop.p));
  }
  Tape<T>& tape = w.tape();
  const Tensor<T>& wv = w.value();
  if (x->cols() != std::int64_t(wv.rows()) || heads < 1 || wv.cols() % std::size_t(heads) != 0) {
    throw Error("head_dropout_matmul: [" + std::to_string(x->rows()) + " x " +
                std::to_string(x->cols()) + "] (sparse) times " + wv.shape_string() + " in " +
                std::to_string(heads) + " heads");
  }
  const std::int64_t n = std::int64_t(wv.cols());
  Tensor<T> out(std::size_t(x->rows()), wv.cols());
  kernels::spmm_accumulate<T>(x->by_row, wv.values(), n, out.values(), {heads, drop, false});
  const std::size_t iw = w.id();
  return tape.record(std::move(out), w.requires_grad(),
                     [&tape, iw, x, n, heads, drop](const Tensor<T>& g) {
                       // dW_h = (mask_h . X)^T dY_h, row by row of X^T.
                       kernels::spmm_accumulate<T>(x->by_column, g.values(), n,
                                                   tape.grad(iw).values(), {heads, drop, true});
                     });
}

template <class T>
Var<T> add_bias(Var<T> x, Var<T> bias) {
  require_same_tape(x, bias, "add_bias");
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  require_shape(bias.value(), 1, xv.cols(), "add_bias", "bias");
  Tensor<T> out = xv;
  const T* b = bias.value().data();
  const std::int64_t rows = std::int64_t(xv.rows()), cols = std::int64_t(xv.cols());
#pragma omp parallel for schedule(guided)
  for (std::int64_t r = 0; r < rows; ++r) {
    T* o = out.data() + r * cols;
    for (std::int64_t c = 0; c < cols; ++c) o[c] += b[c];
  }
  const std::size_t ix = x.id(), ib = bias.id();
  return tape.record(std::move(out), x.requires_grad() || bias.requires_grad(),
                     [&tape, ix, ib, rows, cols](const Tensor<T>& g) {
                       if (tape.requires_grad(ix)) {
                         Tensor<T>& gx = tape.grad(ix);
                         for (std::size_t k = 0; k < g.size(); ++k) gx.data()[k] += g.data()[k];
                       }
                       if (tape.requires_grad(ib)) {
                         // Column sums in row order: same result on any thread count.
                         T* gb = tape.grad(ib).data();
                         for (std::int64_t r = 0; r < rows; ++r) {
                           const T* gr = g.data() + r * cols;
                           for (std::int64_t c = 0; c < cols; ++c) gb[c] += gr[c];
                         }
                       }
                     });
}

template <class T>
Var<T> add(Var<T> a, Var<T> b) {
  require_same_tape(a, b, "add");
  Tape<T>& tape = a.tape();
  require_shape(b.value(), a.value().rows(), a.value().cols(), "add", "second operand");
  Tensor<T> out = a.value();
  for (std::size_t k = 0; k < out.size(); ++k) out.data()[k] += b.value().data()[k];
  const std::size_t ia = a.id(), ib = b.id();
  return tape.record(std::move(out), a.requires_grad() || b.requires_grad(),
                     [&tape, ia, ib](const Tensor<T>& g) {
                       for (std::size_t id : {ia, ib}) {
                         if (!tape.requires_grad(id)) continue;
                         Tensor<T>& gi = tape.grad(id);
                         for (std::size_t k = 0; k < g.size(); ++k) gi.data()[k] += g.data()[k];
                       }
                     });
}

template <class T>
Var<T> relu(Var<T> x) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  Tensor<T> out(xv.rows(), xv.cols());
  const std::int64_t n = std::int64_t(xv.size());
  const T* __restrict in = xv.data();
  T* __restrict o = out.data();
#pragma omp parallel for simd schedule(guided)
  for (std::int64_t k = 0; k < n; ++k) o[k] = in[k] > T(0) ? in[k] : T(0);
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(), [&tape, ix, n](const Tensor<T>& g) {
    const T* __restrict xv = tape.value(ix).data();
    const T* __restrict gv = g.data();
    T* __restrict gx = tape.grad(ix).data();
#pragma omp parallel for simd schedule(guided)
    for (std::int64_t k = 0; k < n; ++k) gx[k] += xv[k] > T(0) ? gv[k] : T(0);
  });
}

template <class T>
Var<T> elu(Var<T> x, T alpha) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  Tensor<T> out(xv.rows(), xv.cols());
  const std::int64_t n = std::int64_t(xv.size());
  const T* in = xv.data();
  T* o = out.data();
  if constexpr (std::is_same_v<T, float>) {
    // exp(v) - 1 with the vectorised exp, in blocks; near 0, where that
    // difference would lose digits, a Taylor polynomial (error < 1e-7 relative).
#pragma omp parallel for schedule(guided)
    for (std::int64_t b = 0; b < n; b += 64) {
      const int count = int(std::min<std::int64_t>(64, n - b));
      float e[64];
      for (int k = 0; k < count; ++k) e[k] = std::min(in[b + k], 0.0f);
      kernels::exp_in_place(e, count);
      for (int k = 0; k < count; ++k) {
        const float v = in[b + k];
        const float small = v * (1.0f + v * (0.5f + v * (1.0f / 6 + v * (1.0f / 24))));
        const float expm1 = v > -0.0625f ? small : e[k] - 1.0f;
        o[b + k] = v > 0.0f ? v : alpha * expm1;
      }
    }
  } else {
#pragma omp parallel for schedule(guided)
    for (std::int64_t k = 0; k < n; ++k) o[k] = in[k] > T(0) ? in[k] : alpha * std::expm1(in[k]);
  }
  const std::size_t ix = x.id();
  // Backward reads the output, recorded next: for v <= 0, alpha e^v = out + alpha.
  const std::size_t iout = tape.size();
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, iout, alpha, n](const Tensor<T>& g) {
                       const T* __restrict xv = tape.value(ix).data();
                       const T* __restrict ov = tape.value(iout).data();
                       const T* __restrict gv = g.data();
                       T* __restrict gx = tape.grad(ix).data();
#pragma omp parallel for simd schedule(guided)
                       for (std::int64_t k = 0; k < n; ++k) {
                         gx[k] += xv[k] > T(0) ? gv[k] : gv[k] * (ov[k] + alpha);
                       }
                     });
}

template <class T>
Var<T> dropout(Var<T> x, const KeyedDropout<T>& drop) {
  Tape<T>& tape = x.tape();
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("dropout: probability must be in [0, 1), got " + std::to_string(drop.p));
  }
  if (!drop.active()) return x;
  const Tensor<T>& xv = x.value();
  Tensor<T> out(xv.rows(), xv.cols());
  const std::int64_t n = std::int64_t(xv.size());
  // In blocks of 64 consecutive counters: one draw per four elements.
  auto apply = [n, drop](const T* in, T* result, bool accumulate) {
#pragma omp parallel for schedule(guided)
    for (std::int64_t b = 0; b < n; b += 64) {
      T scale[64];
      const int count = int(std::min<std::int64_t>(64, n - b));
      drop.scales(std::uint64_t(b), count, scale);
      for (int k = 0; k < count; ++k) {
        const T v = in[b + k] * scale[k];
        result[b + k] = accumulate ? result[b + k] + v : v;
      }
    }
  };
  apply(xv.data(), out.data(), false);
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(), [&tape, ix, apply](const Tensor<T>& g) {
    apply(g.data(), tape.grad(ix).data(), true);
  });
}

template <class T>
Var<T> gat_node_scores(Var<T> z, Var<T> a, kernels::HeadShape shape) {
  require_same_tape(z, a, "gat_node_scores");
  Tape<T>& tape = z.tape();
  const Tensor<T>& zv = z.value();
  require_shape(zv, zv.rows(), std::size_t(shape.width()), "gat_node_scores", "z");
  require_shape(a.value(), 1, std::size_t(shape.width()), "gat_node_scores", "attention vector");
  Tensor<T> s(zv.rows(), std::size_t(shape.heads));
  kernels::gat_node_scores<T>(shape, zv.values(), a.value().values(), s.values());
  const std::size_t iz = z.id(), ia = a.id();
  return tape.record(std::move(s), z.requires_grad() || a.requires_grad(),
                     [&tape, iz, ia, shape](const Tensor<T>& g) {
                       std::span<T> gz, ga;
                       if (tape.requires_grad(iz)) gz = tape.grad(iz).values();
                       if (tape.requires_grad(ia)) ga = tape.grad(ia).values();
                       kernels::gat_node_scores_backward<T>(shape, tape.value(iz).values(),
                                                            tape.value(ia).values(), g.values(), gz,
                                                            ga);
                     });
}

template <class T>
Var<T> gat_attention(Var<T> z, Var<T> s_src, Var<T> s_dst, const Graph& graph,
                     kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& drop,
                     Tensor<T>* alpha_out) {
  require_same_tape(z, s_src, "gat_attention");
  require_same_tape(z, s_dst, "gat_attention");
  Tape<T>& tape = z.tape();
  const std::size_t n = std::size_t(graph.num_nodes());
  require_shape(z.value(), n, std::size_t(shape.width()), "gat_attention", "z");
  require_shape(s_src.value(), n, std::size_t(shape.heads), "gat_attention", "s_src");
  require_shape(s_dst.value(), n, std::size_t(shape.heads), "gat_attention", "s_dst");
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("gat_attention: dropout must be in [0, 1), got " + std::to_string(drop.p));
  }
  Tensor<T> alpha(std::size_t(graph.num_edges()), std::size_t(shape.heads));
  Tensor<T> out(n, std::size_t(shape.width()));
  kernels::gat_attention_forward<T>(graph, shape, z.value().values(), s_src.value().values(),
                                    s_dst.value().values(), negative_slope, drop, alpha.values(),
                                    out.values());
  if (alpha_out != nullptr) *alpha_out = alpha;
  const bool needs = z.requires_grad() || s_src.requires_grad() || s_dst.requires_grad();
  const std::size_t iz = z.id(), is = s_src.id(), id = s_dst.id();
  // The backward step reads this op's own output, recorded next on the tape.
  const std::size_t iout = tape.size();
  return tape.record(std::move(out), needs,
                     [&tape, &graph, iz, is, id, iout, shape, negative_slope, drop,
                      alpha = std::move(alpha), used = false](const Tensor<T>& g) mutable {
                       // The score gradients overwrite alpha (no second E x H buffer), so
                       // this step can run once, as in PyTorch without retain_graph.
                       if (used)
                         throw Error("gat_attention: backward ran twice through the same tape");
                       used = true;
                       std::span<T> gz, gs, gd;
                       if (tape.requires_grad(iz)) gz = tape.grad(iz).values();
                       if (tape.requires_grad(is)) gs = tape.grad(is).values();
                       if (tape.requires_grad(id)) gd = tape.grad(id).values();
                       const Tensor<T>& alpha_read = alpha;
                       kernels::gat_attention_backward<T>(
                           graph, shape, tape.value(iz).values(), tape.value(is).values(),
                           tape.value(id).values(), negative_slope, drop, alpha_read.values(),
                           tape.value(iout).values(), g.values(), gz, gs, gd, alpha.values());
                       alpha = Tensor<T>();
                     });
}

template <class T>
Var<T> gat_attention(Var<T> values, Var<T> z, Var<T> att_src, Var<T> att_dst, const Graph& graph,
                     kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& drop,
                     Tensor<T>* alpha_out, const std::shared_ptr<TensorPool<T>>& pool) {
  require_same_tape(values, z, "gat_attention");
  require_same_tape(z, att_src, "gat_attention");
  require_same_tape(z, att_dst, "gat_attention");
  Tape<T>& tape = z.tape();
  const std::size_t n = std::size_t(graph.num_nodes()), w = std::size_t(shape.width());
  const std::size_t heads = std::size_t(shape.heads);
  require_shape(values.value(), n, w, "gat_attention", "values");
  require_shape(z.value(), n, w, "gat_attention", "z");
  require_shape(att_src.value(), 1, w, "gat_attention", "att_src");
  require_shape(att_dst.value(), 1, w, "gat_attention", "att_dst");
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("gat_attention: dropout must be in [0, 1), got " + std::to_string(drop.p));
  }
  Tensor<T> s_src(n, heads), s_dst(n, heads);
  kernels::gat_node_score_pair<T>(shape, z.value().values(), att_src.value().values(),
                                  att_dst.value().values(), s_src.values(), s_dst.values());
  // Every element is written by the forward kernel, so a reused buffer's old
  // contents do not matter.
  std::shared_ptr<Tensor<T>> alpha =
      pool ? pool->acquire(std::size_t(graph.num_edges()), heads)
           : std::make_shared<Tensor<T>>(std::size_t(graph.num_edges()), heads);
  Tensor<T> out(n, w);
  kernels::gat_attention_forward<T>(graph, shape, values.value().values(), s_src.values(),
                                    s_dst.values(), negative_slope, drop, alpha->values(),
                                    out.values());
  if (alpha_out != nullptr) *alpha_out = *alpha;
  const bool needs = values.requires_grad() || z.requires_grad() || att_src.requires_grad() ||
                     att_dst.requires_grad();
  const std::size_t iv = values.id(), iz = z.id(), ia = att_src.id(), id = att_dst.id();
  const std::size_t iout = tape.size();  // this op's output, recorded next
  return tape.record(std::move(out), needs,
                     [&tape, &graph, iv, iz, ia, id, iout, shape, negative_slope, drop, n, heads,
                      s_src = std::move(s_src), s_dst = std::move(s_dst), alpha = std::move(alpha),
                      used = false](const Tensor<T>& g) mutable {
                       // The score gradients overwrite alpha, so this step runs once.
                       if (used)
                         throw Error("gat_attention: backward ran twice through the same tape");
                       used = true;
                       const bool scores_need = tape.requires_grad(iz) || tape.requires_grad(ia) ||
                                                tape.requires_grad(id);
                       Tensor<T> gs, gd;
                       if (scores_need) gs = Tensor<T>(n, heads), gd = Tensor<T>(n, heads);
                       std::span<T> gv;
                       if (tape.requires_grad(iv)) gv = tape.grad(iv).values();
                       const Tensor<T>& alpha_read = *alpha;
                       kernels::gat_attention_backward<T>(
                           graph, shape, tape.value(iv).values(), s_src.values(), s_dst.values(),
                           negative_slope, drop, alpha_read.values(), tape.value(iout).values(),
                           g.values(), gv, gs.values(), gd.values(), alpha->values());
                       alpha.reset();  // back to the pool, if it came from one
                       if (!scores_need) return;
                       std::span<T> gz, ga_src, ga_dst;
                       if (tape.requires_grad(iz)) gz = tape.grad(iz).values();
                       if (tape.requires_grad(ia)) ga_src = tape.grad(ia).values();
                       if (tape.requires_grad(id)) ga_dst = tape.grad(id).values();
                       kernels::gat_node_score_pair_backward<T>(
                           shape, tape.value(iz).values(), tape.value(ia).values(),
                           tape.value(id).values(), gs.values(), gd.values(), gz, ga_src, ga_dst);
                     });
}

namespace {

// GATv2's attention with or without the projected edge features.
template <class T>
Var<T> gatv2_attention_with(Var<T> x_src, Var<T> x_dst, const Var<T>* x_edge, Var<T> att,
                            const Graph& graph, kernels::HeadShape shape, T negative_slope,
                            const KeyedDropout<T>& drop, Tensor<T>* alpha_out) {
  require_same_tape(x_src, x_dst, "gatv2_attention");
  require_same_tape(x_src, att, "gatv2_attention");
  if (x_edge) require_same_tape(x_src, *x_edge, "gatv2_attention");
  Tape<T>& tape = x_src.tape();
  const std::size_t n = std::size_t(graph.num_nodes()), w = std::size_t(shape.width());
  require_shape(x_src.value(), n, w, "gatv2_attention", "x_src");
  require_shape(x_dst.value(), n, w, "gatv2_attention", "x_dst");
  require_shape(att.value(), 1, w, "gatv2_attention", "att");
  if (x_edge) {
    require_shape(x_edge->value(), std::size_t(graph.num_edges()), w, "gatv2_attention", "x_edge");
  }
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("gatv2_attention: dropout must be in [0, 1), got " + std::to_string(drop.p));
  }
  Tensor<T> alpha(std::size_t(graph.num_edges()), std::size_t(shape.heads));
  Tensor<T> out(n, w);
  const std::span<const T> xe = x_edge ? x_edge->value().values() : std::span<const T>();
  kernels::gatv2_attention_forward<T>(graph, shape, x_src.value().values(), x_dst.value().values(),
                                      att.value().values(), negative_slope, drop, alpha.values(),
                                      out.values(), xe);
  if (alpha_out != nullptr) *alpha_out = alpha;
  const bool needs = x_src.requires_grad() || x_dst.requires_grad() || att.requires_grad() ||
                     (x_edge && x_edge->requires_grad());
  const std::size_t is = x_src.id(), id = x_dst.id(), ia = att.id();
  const std::size_t ie = x_edge ? x_edge->id() : std::size_t(-1);
  const std::size_t iout = tape.size();  // this op's output, recorded next
  return tape.record(std::move(out), needs,
                     [&tape, &graph, is, id, ia, ie, iout, shape, negative_slope, drop,
                      alpha = std::move(alpha), used = false](const Tensor<T>& g) mutable {
                       // The score gradients overwrite alpha, so this step runs once.
                       if (used)
                         throw Error("gatv2_attention: backward ran twice through the same tape");
                       used = true;
                       std::span<T> gs, gd, ga, ge;
                       if (tape.requires_grad(is)) gs = tape.grad(is).values();
                       if (tape.requires_grad(id)) gd = tape.grad(id).values();
                       if (tape.requires_grad(ia)) ga = tape.grad(ia).values();
                       std::span<const T> xe;
                       if (ie != std::size_t(-1)) {
                         xe = tape.value(ie).values();
                         if (tape.requires_grad(ie)) ge = tape.grad(ie).values();
                       }
                       const Tensor<T>& alpha_read = alpha;
                       kernels::gatv2_attention_backward<T>(
                           graph, shape, tape.value(is).values(), tape.value(id).values(),
                           tape.value(ia).values(), negative_slope, drop, alpha_read.values(),
                           tape.value(iout).values(), g.values(), gs, gd, ga, alpha.values(), xe,
                           ge);
                       alpha = Tensor<T>();
                     });
}

}  // namespace

template <class T>
Var<T> gatv2_attention(Var<T> x_src, Var<T> x_dst, Var<T> att, const Graph& graph,
                       kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& drop,
                       Tensor<T>* alpha_out) {
  return gatv2_attention_with<T>(x_src, x_dst, nullptr, att, graph, shape, negative_slope, drop,
                                 alpha_out);
}

template <class T>
Var<T> gatv2_edge_attention(Var<T> x_src, Var<T> x_dst, Var<T> x_edge, Var<T> att,
                            const Graph& graph, kernels::HeadShape shape, T negative_slope,
                            const KeyedDropout<T>& drop, Tensor<T>* alpha_out) {
  return gatv2_attention_with<T>(x_src, x_dst, &x_edge, att, graph, shape, negative_slope, drop,
                                 alpha_out);
}

template <class T>
Var<T> gat_edge_attention(Var<T> z, Var<T> s_src, Var<T> s_dst, Var<T> s_edge, const Graph& graph,
                          kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& drop,
                          Tensor<T>* alpha_out) {
  for (const Var<T>* v : {&s_src, &s_dst, &s_edge}) require_same_tape(z, *v, "gat_edge_attention");
  Tape<T>& tape = z.tape();
  const std::size_t n = std::size_t(graph.num_nodes()), h = std::size_t(shape.heads);
  require_shape(z.value(), n, std::size_t(shape.width()), "gat_edge_attention", "z");
  require_shape(s_src.value(), n, h, "gat_edge_attention", "s_src");
  require_shape(s_dst.value(), n, h, "gat_edge_attention", "s_dst");
  require_shape(s_edge.value(), std::size_t(graph.num_edges()), h, "gat_edge_attention", "s_edge");
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("gat_edge_attention: dropout must be in [0, 1), got " + std::to_string(drop.p));
  }
  Tensor<T> alpha(std::size_t(graph.num_edges()), h);
  Tensor<T> out(n, std::size_t(shape.width()));
  kernels::gat_edge_attention_forward<T>(graph, shape, z.value().values(), s_src.value().values(),
                                         s_dst.value().values(), s_edge.value().values(),
                                         negative_slope, drop, alpha.values(), out.values());
  if (alpha_out != nullptr) *alpha_out = alpha;
  const bool needs =
      z.requires_grad() || s_src.requires_grad() || s_dst.requires_grad() || s_edge.requires_grad();
  const std::size_t iz = z.id(), is = s_src.id(), id = s_dst.id(), ie = s_edge.id();
  const std::size_t iout = tape.size();
  return tape.record(std::move(out), needs,
                     [&tape, &graph, iz, is, id, ie, iout, shape, negative_slope, drop,
                      alpha = std::move(alpha)](const Tensor<T>& g) {
                       auto grad = [&tape](std::size_t i) {
                         return tape.requires_grad(i) ? tape.grad(i).values() : std::span<T>();
                       };
                       kernels::gat_edge_attention_backward<T>(
                           graph, shape, tape.value(iz).values(), tape.value(is).values(),
                           tape.value(id).values(), tape.value(ie).values(), negative_slope, drop,
                           alpha.values(), tape.value(iout).values(), g.values(), grad(iz),
                           grad(is), grad(id), grad(ie));
                     });
}

template <class T>
Var<T> graph_dot_attention(Var<T> q, Var<T> k, Var<T> v, const Graph& graph,
                           kernels::HeadShape shape, const KeyedDropout<T>& drop,
                           Tensor<T>* alpha_out) {
  require_same_tape(q, k, "graph_dot_attention");
  require_same_tape(q, v, "graph_dot_attention");
  Tape<T>& tape = q.tape();
  const std::size_t n = std::size_t(graph.num_nodes()), w = std::size_t(shape.width());
  require_shape(q.value(), n, w, "graph_dot_attention", "q");
  require_shape(k.value(), n, w, "graph_dot_attention", "k");
  require_shape(v.value(), n, w, "graph_dot_attention", "v");
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("graph_dot_attention: dropout must be in [0, 1), got " + std::to_string(drop.p));
  }
  Tensor<T> alpha(std::size_t(graph.num_edges()), std::size_t(shape.heads));
  Tensor<T> out(n, w);
  kernels::dot_product_attention_forward<T>(graph, shape, q.value().values(), k.value().values(),
                                            v.value().values(), drop, alpha.values(), out.values());
  if (alpha_out != nullptr) *alpha_out = alpha;
  const bool needs = q.requires_grad() || k.requires_grad() || v.requires_grad();
  const std::size_t iq = q.id(), ik = k.id(), iv = v.id(), iout = tape.size();
  return tape.record(
      std::move(out), needs,
      [&tape, &graph, iq, ik, iv, iout, shape, drop, alpha = std::move(alpha)](const Tensor<T>& g) {
        auto grad = [&tape](std::size_t i) {
          return tape.requires_grad(i) ? tape.grad(i).values() : std::span<T>();
        };
        // q, k or v may be the same variable: gradients add up.
        kernels::dot_product_attention_backward<T>(graph, shape, tape.value(iq).values(),
                                                   tape.value(ik).values(), tape.value(iv).values(),
                                                   drop, alpha.values(), tape.value(iout).values(),
                                                   g.values(), grad(iq), grad(ik), grad(iv));
      });
}

namespace {

// Head h's columns [h * d, (h + 1) * d) of an N x (H * d) matrix, in place.
template <class T>
MatrixView<const T> head_view(const Tensor<T>& x, int h, std::size_t d) {
  return {x.data() + std::size_t(h) * d, x.rows(), d, x.cols()};
}
template <class T>
MatrixView<T> head_view(Tensor<T>& x, int h, std::size_t d) {
  return {x.data() + std::size_t(h) * d, x.rows(), d, x.cols()};
}
// Head h's N x N block of the stacked (H * N) x N attention matrices.
template <class T>
MatrixView<T> head_block(Tensor<T>& a, int h, std::size_t n) {
  return {a.data() + std::size_t(h) * n * n, n, n, n};
}
template <class T>
MatrixView<const T> as_const(MatrixView<T> v) {
  return {v.data, v.rows, v.cols, v.stride};
}

}  // namespace

template <class T>
Var<T> dense_attention(Var<T> q, Var<T> k, Var<T> v, int heads,
                       std::shared_ptr<const std::vector<std::uint8_t>> mask,
                       Tensor<T>* attention_out, std::shared_ptr<TensorPool<T>> pool) {
  require_same_tape(q, k, "dense_attention");
  require_same_tape(q, v, "dense_attention");
  Tape<T>& tape = q.tape();
  const std::size_t n = q.value().rows(), w = q.value().cols();
  if (heads < 1 || w % std::size_t(heads) != 0) {
    throw Error("dense_attention: " + std::to_string(w) + " columns do not split into " +
                std::to_string(heads) + " heads");
  }
  require_shape(k.value(), n, w, "dense_attention", "k");
  require_shape(v.value(), n, w, "dense_attention", "v");
  if (mask && mask->size() != n * n) {
    throw Error("dense_attention: the mask has " + std::to_string(mask->size()) + " entries, not " +
                std::to_string(n) + " x " + std::to_string(n));
  }
  const std::size_t d = w / std::size_t(heads);
  const T scale = T(1) / std::sqrt(T(d));
  // The attention matrices of all heads, kept for backward. At N = 2708 and
  // 4 heads they are 117 MB a layer: a pool saves faulting them in anew at
  // every step, which cost more than the products themselves.
  std::shared_ptr<Tensor<T>> attention = pool
                                             ? pool->acquire(std::size_t(heads) * n, n)
                                             : std::make_shared<Tensor<T>>(std::size_t(heads) * n, n);
  Tensor<T> out(n, w);
  for (int h = 0; h < heads; ++h) {
    const MatrixView<T> s = head_block(*attention, h, n);
    // S = Q_h K_h^T / sqrt(d), straight into the kept block.
    gemm(Transpose::kNo, Transpose::kYes, scale, head_view(q.value(), h, d),
         head_view(k.value(), h, d), T(0), s);
    // Row softmax over the allowed keys; a row with none stays zero.
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < std::int64_t(n); ++i) {
      T* row = s.data + std::size_t(i) * n;
      const std::uint8_t* allowed = mask ? mask->data() + std::size_t(i) * n : nullptr;
      // The loops are written branch-free with explicit reductions so that
      // they vectorise: the row is the whole cost of dense attention.
      constexpr T kLowest = -std::numeric_limits<T>::infinity();
      T m = kLowest;
      {
        // Sixteen running maxima, so the compiler keeps them in one vector.
        T lane[16];
        std::fill_n(lane, 16, kLowest);
        std::size_t j = 0;
        for (; j + 16 <= n; j += 16) {
          for (std::size_t l = 0; l < 16; ++l) {
            const T value = !allowed || allowed[j + l] ? row[j + l] : kLowest;
            lane[l] = lane[l] > value ? lane[l] : value;
          }
        }
        for (; j < n; ++j) {
          if (!allowed || allowed[j]) m = std::max(m, row[j]);
        }
        for (T value : lane) m = std::max(m, value);
      }
      if (m == kLowest) {
        std::fill_n(row, n, T(0));
        continue;
      }
      // exp over the whole row with the vectorised exp, then the mask.
#pragma omp simd
      for (std::size_t j = 0; j < n; ++j) row[j] -= m;
      kernels::exp_in_place(row, std::int64_t(n));
      T sum = 0;
      if (allowed) {
#pragma omp simd reduction(+ : sum)
        for (std::size_t j = 0; j < n; ++j) {
          row[j] = allowed[j] ? row[j] : T(0);
          sum += row[j];
        }
      } else {
#pragma omp simd reduction(+ : sum)
        for (std::size_t j = 0; j < n; ++j) sum += row[j];
      }
      const T inv = T(1) / sum;
#pragma omp simd
      for (std::size_t j = 0; j < n; ++j) row[j] *= inv;
    }
    gemm(Transpose::kNo, Transpose::kNo, T(1), as_const(s), head_view(v.value(), h, d), T(0),
         head_view(out, h, d));
  }
  if (attention_out != nullptr) *attention_out = *attention;
  const bool needs = q.requires_grad() || k.requires_grad() || v.requires_grad();
  const std::size_t iq = q.id(), ik = k.id(), iv = v.id();
  return tape.record(
      std::move(out), needs, [&tape, iq, ik, iv, heads, n, d, scale, attention, pool](const Tensor<T>& g) {
        const bool wants_scores = tape.requires_grad(iq) || tape.requires_grad(ik);
        std::shared_ptr<Tensor<T>> scratch;
        if (wants_scores) scratch = pool ? pool->acquire(n, n) : std::make_shared<Tensor<T>>(n, n);
        for (int h = 0; h < heads; ++h) {
          const MatrixView<const T> a = as_const(head_block(*attention, h, n));
          const MatrixView<const T> gh = head_view(g, h, d);
          if (tape.requires_grad(iv)) {  // dV += A^T G
            gemm(Transpose::kYes, Transpose::kNo, T(1), a, gh, T(1), head_view(tape.grad(iv), h, d));
          }
          if (!wants_scores) continue;
          // dS = A .* (G V^T - rowsum(A .* G V^T)) / sqrt(d)
          const MatrixView<T> ds{scratch->data(), n, n, n};
          gemm(Transpose::kNo, Transpose::kYes, T(1), gh, head_view(tape.value(iv), h, d), T(0), ds);
#pragma omp parallel for schedule(static)
          for (std::int64_t i = 0; i < std::int64_t(n); ++i) {
            T* row = ds.data + std::size_t(i) * n;
            const T* ar = a.data + std::size_t(i) * n;
            T c = 0;
#pragma omp simd reduction(+ : c)
            for (std::size_t j = 0; j < n; ++j) c += ar[j] * row[j];
#pragma omp simd
            for (std::size_t j = 0; j < n; ++j) row[j] = ar[j] * (row[j] - c) * scale;
          }
          if (tape.requires_grad(iq)) {  // dQ += dS K
            gemm(Transpose::kNo, Transpose::kNo, T(1), as_const(ds), head_view(tape.value(ik), h, d),
                 T(1), head_view(tape.grad(iq), h, d));
          }
          if (tape.requires_grad(ik)) {  // dK += dS^T Q
            gemm(Transpose::kYes, Transpose::kNo, T(1), as_const(ds), head_view(tape.value(iq), h, d),
                 T(1), head_view(tape.grad(ik), h, d));
          }
        }
      });
}

template <class T>
Var<T> row_means(Var<T> x, std::shared_ptr<const RowMeans> plan) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  if (!plan || plan->offsets.empty()) throw Error("row_means: no plan");
  const std::size_t rows = plan->offsets.size() - 1, cols = xv.cols();
  for (std::int64_t r : plan->rows) {
    if (r < 0 || std::size_t(r) >= xv.rows()) {
      throw Error("row_means: row " + std::to_string(r) + " outside the input's " +
                  std::to_string(xv.rows()));
    }
  }
  Tensor<T> out(rows, cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::int64_t begin = plan->offsets[r], end = plan->offsets[r + 1];
    if (begin == end) continue;
    const T inv = T(1) / T(end - begin);
    for (std::int64_t k = begin; k < end; ++k) {
      const T* xr = xv.data() + std::size_t(plan->rows[std::size_t(k)]) * cols;
      for (std::size_t c = 0; c < cols; ++c) out(r, c) += xr[c] * inv;
    }
  }
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, plan, rows, cols](const Tensor<T>& g) {
                       Tensor<T>& gx = tape.grad(ix);
                       for (std::size_t r = 0; r < rows; ++r) {
                         const std::int64_t begin = plan->offsets[r], end = plan->offsets[r + 1];
                         if (begin == end) continue;
                         const T inv = T(1) / T(end - begin);
                         for (std::int64_t k = begin; k < end; ++k) {
                           T* gr = gx.data() + std::size_t(plan->rows[std::size_t(k)]) * cols;
                           for (std::size_t c = 0; c < cols; ++c) gr[c] += g(r, c) * inv;
                         }
                       }
                     });
}

template <class T>
Var<T> weighted_aggregate(Var<T> z, const Graph& graph,
                          std::shared_ptr<const std::vector<T>> edge_weight) {
  Tape<T>& tape = z.tape();
  const Tensor<T>& zv = z.value();
  if (std::int64_t(zv.rows()) != graph.num_nodes()) {
    throw Error("weighted_aggregate: input has " + std::to_string(zv.rows()) + " rows, the graph " +
                std::to_string(graph.num_nodes()) + " nodes");
  }
  if (!edge_weight || std::int64_t(edge_weight->size()) != graph.num_edges()) {
    throw Error("weighted_aggregate: need one weight per edge (" +
                std::to_string(graph.num_edges()) + ")");
  }
  const int width = int(zv.cols());
  Tensor<T> out(zv.rows(), zv.cols());
  kernels::weighted_aggregate<T>(graph, *edge_weight, zv.values(), width, out.values());
  const std::size_t iz = z.id();
  return tape.record(std::move(out), z.requires_grad(),
                     [&tape, &graph, iz, width, edge_weight](const Tensor<T>& g) {
                       kernels::weighted_aggregate_transpose<T>(graph, *edge_weight, g.values(),
                                                                width, tape.grad(iz).values());
                     });
}

template <class T>
Var<T> head_mean(Var<T> x, int heads) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  if (heads < 1 || xv.cols() % std::size_t(heads) != 0) {
    throw Error("head_mean: " + std::to_string(xv.cols()) + " columns do not split into " +
                std::to_string(heads) + " heads");
  }
  const std::size_t f = xv.cols() / std::size_t(heads);
  Tensor<T> out(xv.rows(), f);
  const T inv = T(1) / T(heads);
  for (std::size_t r = 0; r < xv.rows(); ++r) {
    for (int h = 0; h < heads; ++h) {
      for (std::size_t c = 0; c < f; ++c) out(r, c) += xv(r, std::size_t(h) * f + c) * inv;
    }
  }
  const std::size_t ix = x.id();
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, heads, f, inv](const Tensor<T>& g) {
                       Tensor<T>& gx = tape.grad(ix);
                       for (std::size_t r = 0; r < g.rows(); ++r) {
                         for (int h = 0; h < heads; ++h) {
                           for (std::size_t c = 0; c < f; ++c)
                             gx(r, std::size_t(h) * f + c) += g(r, c) * inv;
                         }
                       }
                     });
}

template <class T>
Var<T> layer_norm(Var<T> x, Var<T> gamma, Var<T> beta, T eps) {
  require_same_tape(x, gamma, "layer_norm");
  require_same_tape(x, beta, "layer_norm");
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  const std::size_t cols = xv.cols();
  require_shape(gamma.value(), 1, cols, "layer_norm", "gamma");
  require_shape(beta.value(), 1, cols, "layer_norm", "beta");
  if (cols == 0) throw Error("layer_norm: the input has no columns");
  const std::int64_t rows = std::int64_t(xv.rows());
  // x_hat and 1 / sigma per row are what the backward pass needs.
  auto x_hat = std::make_shared<Tensor<T>>(xv.rows(), cols);
  auto inv_sigma = std::make_shared<std::vector<T>>(xv.rows());
  Tensor<T> out(xv.rows(), cols);
  const T* g = gamma.value().data();
  const T* b = beta.value().data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    auto in = xv.row(std::size_t(r));
    T mean = 0;
    for (std::size_t c = 0; c < cols; ++c) mean += in[c];
    mean /= T(cols);
    T var = 0;
    for (std::size_t c = 0; c < cols; ++c) var += (in[c] - mean) * (in[c] - mean);
    var /= T(cols);
    const T inv = T(1) / std::sqrt(var + eps);
    (*inv_sigma)[std::size_t(r)] = inv;
    auto xh = x_hat->row(std::size_t(r));
    auto o = out.row(std::size_t(r));
    for (std::size_t c = 0; c < cols; ++c) {
      xh[c] = (in[c] - mean) * inv;
      o[c] = g[c] * xh[c] + b[c];
    }
  }
  const std::size_t ix = x.id(), ig = gamma.id(), ib = beta.id();
  const bool any = x.requires_grad() || gamma.requires_grad() || beta.requires_grad();
  return tape.record(std::move(out), any,
                     [&tape, ix, ig, ib, rows, cols, x_hat, inv_sigma](const Tensor<T>& gy) {
                       const T* g = tape.value(ig).data();
                       if (tape.requires_grad(ix)) {
                         // dx = (d - mean(d) - x_hat mean(d .* x_hat)) / sigma, with d = gy .*
                         // gamma.
                         Tensor<T>& gx = tape.grad(ix);
#pragma omp parallel for schedule(static)
                         for (std::int64_t r = 0; r < rows; ++r) {
                           auto gyr = gy.row(std::size_t(r));
                           auto xh = x_hat->row(std::size_t(r));
                           T mean_d = 0, mean_dx = 0;
                           for (std::size_t c = 0; c < cols; ++c) {
                             const T d = gyr[c] * g[c];
                             mean_d += d;
                             mean_dx += d * xh[c];
                           }
                           mean_d /= T(cols);
                           mean_dx /= T(cols);
                           const T inv = (*inv_sigma)[std::size_t(r)];
                           auto gxr = gx.row(std::size_t(r));
                           for (std::size_t c = 0; c < cols; ++c) {
                             gxr[c] += (gyr[c] * g[c] - mean_d - xh[c] * mean_dx) * inv;
                           }
                         }
                       }
                       // Column sums in row order: the same on any thread count.
                       if (tape.requires_grad(ig)) {
                         T* gg = tape.grad(ig).data();
                         for (std::int64_t r = 0; r < rows; ++r) {
                           auto gyr = gy.row(std::size_t(r));
                           auto xh = x_hat->row(std::size_t(r));
                           for (std::size_t c = 0; c < cols; ++c) gg[c] += gyr[c] * xh[c];
                         }
                       }
                       if (tape.requires_grad(ib)) {
                         T* gb = tape.grad(ib).data();
                         for (std::int64_t r = 0; r < rows; ++r) {
                           auto gyr = gy.row(std::size_t(r));
                           for (std::size_t c = 0; c < cols; ++c) gb[c] += gyr[c];
                         }
                       }
                     });
}

template <class T>
Var<T> log_softmax(Var<T> x) {
  Tape<T>& tape = x.tape();
  const Tensor<T>& xv = x.value();
  Tensor<T> out(xv.rows(), xv.cols());
  const std::int64_t rows = std::int64_t(xv.rows());
  const std::size_t cols = xv.cols();
#pragma omp parallel for schedule(guided)
  for (std::int64_t r = 0; r < rows; ++r) {
    auto in = xv.row(std::size_t(r));
    auto o = out.row(std::size_t(r));
    T m = *std::max_element(in.begin(), in.end());
    T sum = 0;
    for (std::size_t c = 0; c < cols; ++c) sum += std::exp(in[c] - m);
    T log_z = m + std::log(sum);
    for (std::size_t c = 0; c < cols; ++c) o[c] = in[c] - log_z;
  }
  const std::size_t ix = x.id(), iy = tape.size();  // the id this record will get
  return tape.record(std::move(out), x.requires_grad(),
                     [&tape, ix, iy, rows, cols](const Tensor<T>& g) {
                       // dx = g - softmax * sum(g), softmax = exp(log-softmax).
                       const Tensor<T>& y = tape.value(iy);
                       Tensor<T>& gx = tape.grad(ix);
#pragma omp parallel for schedule(guided)
                       for (std::int64_t r = 0; r < rows; ++r) {
                         auto gr = g.row(std::size_t(r));
                         T sum = 0;
                         for (std::size_t c = 0; c < cols; ++c) sum += gr[c];
                         auto yr = y.row(std::size_t(r));
                         auto gxr = gx.row(std::size_t(r));
                         for (std::size_t c = 0; c < cols; ++c)
                           gxr[c] += gr[c] - std::exp(yr[c]) * sum;
                       }
                     });
}

template <class T>
Var<T> nll_loss(Var<T> log_probs, std::span<const std::int32_t> labels,
                std::span<const NodeId> rows) {
  Tape<T>& tape = log_probs.tape();
  const Tensor<T>& lp = log_probs.value();
  if (labels.size() != lp.rows()) {
    throw Error("nll_loss: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(lp.rows()) + " rows");
  }
  if (rows.empty()) throw Error("nll_loss: no rows to average over");
  std::vector<NodeId> picked(rows.begin(), rows.end());
  for (NodeId r : picked) {
    if (r < 0 || std::size_t(r) >= lp.rows()) {
      throw Error("nll_loss: row " + std::to_string(r) + " outside [0, " +
                  std::to_string(lp.rows()) + ")");
    }
    std::int32_t y = labels[std::size_t(r)];
    if (y < 0 || std::size_t(y) >= lp.cols()) {
      throw Error("nll_loss: row " + std::to_string(r) + " has label " + std::to_string(y) +
                  " outside [0, " + std::to_string(lp.cols()) + ")");
    }
  }
  T sum = 0;
  for (NodeId r : picked) sum -= lp(std::size_t(r), std::size_t(labels[std::size_t(r)]));
  const T inv = T(1) / T(picked.size());
  Tensor<T> out(1, 1, {sum * inv});
  std::vector<std::int32_t> y(labels.begin(), labels.end());
  const std::size_t ix = log_probs.id();
  return tape.record(
      std::move(out), log_probs.requires_grad(),
      [&tape, ix, inv, picked = std::move(picked), y = std::move(y)](const Tensor<T>& g) {
        Tensor<T>& gx = tape.grad(ix);
        for (NodeId r : picked) {
          gx(std::size_t(r), std::size_t(y[std::size_t(r)])) -= g(0, 0) * inv;
        }
      });
}

#define HEED_INSTANTIATE(T)                                                                        \
  template Var<T> matmul<T>(Var<T>, Var<T>);                                                       \
  template Var<T> head_dropout_matmul<T>(Var<T>, Var<T>, int, const KeyedDropout<T>&);             \
  template Var<T> head_dropout_matmul<T>(std::shared_ptr<const kernels::SparseMatrix<T>>, Var<T>,  \
                                         int, const KeyedDropout<T>&);                             \
  template bool mostly_zero<T>(const Tensor<T>&);                                                  \
  template Var<T> add_bias<T>(Var<T>, Var<T>);                                                     \
  template Var<T> add<T>(Var<T>, Var<T>);                                                          \
  template Var<T> relu<T>(Var<T>);                                                                 \
  template Var<T> elu<T>(Var<T>, T);                                                               \
  template Var<T> dropout<T>(Var<T>, const KeyedDropout<T>&);                                      \
  template Var<T> gat_node_scores<T>(Var<T>, Var<T>, kernels::HeadShape);                          \
  template Var<T> gat_attention<T>(Var<T>, Var<T>, Var<T>, const Graph&, kernels::HeadShape, T,    \
                                   const KeyedDropout<T>&, Tensor<T>*);                            \
  template Var<T> gat_attention<T>(Var<T>, Var<T>, Var<T>, Var<T>, const Graph&,                   \
                                   kernels::HeadShape, T, const KeyedDropout<T>&, Tensor<T>*,      \
                                   const std::shared_ptr<TensorPool<T>>&);                         \
  template Var<T> gatv2_attention<T>(Var<T>, Var<T>, Var<T>, const Graph&, kernels::HeadShape, T,  \
                                     const KeyedDropout<T>&, Tensor<T>*);                          \
  template Var<T> gatv2_edge_attention<T>(Var<T>, Var<T>, Var<T>, Var<T>, const Graph&,            \
                                          kernels::HeadShape, T, const KeyedDropout<T>&,           \
                                          Tensor<T>*);                                             \
  template Var<T> gat_edge_attention<T>(Var<T>, Var<T>, Var<T>, Var<T>, const Graph&,              \
                                        kernels::HeadShape, T, const KeyedDropout<T>&,             \
                                        Tensor<T>*);                                               \
  template Var<T> row_means<T>(Var<T>, std::shared_ptr<const RowMeans>);                           \
  template Var<T> graph_dot_attention<T>(Var<T>, Var<T>, Var<T>, const Graph&, kernels::HeadShape, \
                                         const KeyedDropout<T>&, Tensor<T>*);                      \
  template Var<T> dense_attention<T>(Var<T>, Var<T>, Var<T>, int,                                  \
                                     std::shared_ptr<const std::vector<std::uint8_t>>, Tensor<T>*, \
                                     std::shared_ptr<TensorPool<T>>);                              \
  template Var<T> weighted_aggregate<T>(Var<T>, const Graph&,                                      \
                                        std::shared_ptr<const std::vector<T>>);                    \
  template Var<T> head_mean<T>(Var<T>, int);                                                       \
  template Var<T> layer_norm<T>(Var<T>, Var<T>, Var<T>, T);                                        \
  template Var<T> log_softmax<T>(Var<T>);                                                          \
  template Var<T> nll_loss<T>(Var<T>, std::span<const std::int32_t>, std::span<const NodeId>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
