#include "heed/autograd/ops/attention.hpp"

#include <memory>

#include "column_sums.hpp"
#include "heed/error.hpp"
#include "heed/kernels/dot_product_attention.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/kernels/gat_edge_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"
#include "op_checks.hpp"

namespace heed::ops {

template <class T>
Var<T> gat_node_scores(Var<T> z, Var<T> a, kernels::HeadShape shape) {
  require_same_tape(z, a, "gat_node_scores");
  Tape<T>& tape = z.tape();
  const Tensor<T>& zv = z.value();
  require_shape(zv, zv.rows(), std::size_t(shape.width()), "gat_node_scores", "z");
  require_shape(a.value(), 1, std::size_t(shape.width()), "gat_node_scores", "attention vector");
  Tensor<T> s = tape.uninitialized(zv.rows(), std::size_t(shape.heads));
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

namespace {

// The forward's state for GAT's backward (kernels::GatState): node terms
// and the positive part of the output, O(N), from the tape's buffers.
template <class T>
struct GatSavedState {
  Tensor<T> node_terms, positive_out;
  kernels::GatState<T> spans() { return {node_terms.values(), positive_out.values()}; }
  std::span<T> terms() { return node_terms.values(); }
  std::span<const T> positive() const { return positive_out.values(); }
};

template <class T>
GatSavedState<T> gat_saved_state(const Tape<T>& tape, std::size_t n, kernels::HeadShape shape) {
  GatSavedState<T> s;
  s.node_terms = tape.uninitialized(n, std::size_t(kernels::kGatNodeTerms * shape.heads));
  s.positive_out = tape.uninitialized(n, std::size_t(shape.width()));
  return s;
}

template <class T>
void check_dropout(const KeyedDropout<T>& drop) {
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("gat_attention: dropout must be in [0, 1), got " + std::to_string(drop.p));
  }
}

template <class T>
void allocate_alpha(Tensor<T>* alpha_out, const Graph& graph, kernels::HeadShape shape) {
  if (alpha_out) *alpha_out = Tensor<T>(std::size_t(graph.num_edges()), std::size_t(shape.heads));
}

}  // namespace

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
  check_dropout(drop);
  const bool needs = z.requires_grad() || s_src.requires_grad() || s_dst.requires_grad();
  GatSavedState<T> state;
  if (needs) state = gat_saved_state(tape, n, shape);
  allocate_alpha(alpha_out, graph, shape);
  Tensor<T> out = tape.uninitialized(n, std::size_t(shape.width()));
  kernels::gat_attention_forward<T>(graph, shape, z.value().values(), s_src.value().values(),
                                    s_dst.value().values(), negative_slope, drop, out.values(),
                                    state.spans(), {},
                                    alpha_out ? alpha_out->values() : std::span<T>());
  const std::size_t iz = z.id(), is = s_src.id(), id = s_dst.id();
  // The backward step reads this op's own output, recorded next on the tape.
  const std::size_t iout = tape.size();
  return tape.record(std::move(out), needs,
                     [&tape, &graph, iz, is, id, iout, shape, negative_slope, drop,
                      state = std::move(state), used = false](const Tensor<T>& g) mutable {
                       // The backward overwrites the state's positive sums, so it runs
                       // once, as in PyTorch without retain_graph.
                       if (used)
                         throw Error("gat_attention: backward ran twice through the same tape");
                       used = true;
                       std::span<T> gz, gs, gd;
                       if (tape.requires_grad(iz)) gz = tape.grad(iz).values();
                       if (tape.requires_grad(is)) gs = tape.grad(is).values();
                       if (tape.requires_grad(id)) gd = tape.grad(id).values();
                       kernels::gat_attention_backward<T>(
                           graph, shape, tape.value(iz).values(), tape.value(is).values(),
                           negative_slope, drop, tape.value(iout).values(), {}, state.terms(),
                           state.positive(), g.values(), gz, gs, gd);
                       state = GatSavedState<T>();
                     });
}

template <class T>
Var<T> gat_attention(Var<T> values, Var<T> z, Var<T> att_src, Var<T> att_dst, const Graph& graph,
                     kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& drop,
                     Tensor<T>* alpha_out, const Var<T>* bias) {
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
  std::span<const T> b;
  if (bias) {
    require_same_tape(z, *bias, "gat_attention");
    require_shape(bias->value(), 1, w, "gat_attention", "bias");
    b = bias->value().values();
  }
  check_dropout(drop);
  Tensor<T> s_src = tape.uninitialized(n, heads), s_dst = tape.uninitialized(n, heads);
  kernels::gat_node_score_pair<T>(shape, z.value().values(), att_src.value().values(),
                                  att_dst.value().values(), s_src.values(), s_dst.values());
  const bool bias_grad = bias && bias->requires_grad();
  const bool needs = values.requires_grad() || z.requires_grad() || att_src.requires_grad() ||
                     att_dst.requires_grad() || bias_grad;
  GatSavedState<T> state;
  if (needs) state = gat_saved_state(tape, n, shape);
  allocate_alpha(alpha_out, graph, shape);
  Tensor<T> out = tape.uninitialized(n, w);
  kernels::gat_attention_forward<T>(
      graph, shape, values.value().values(), s_src.values(), s_dst.values(), negative_slope, drop,
      out.values(), state.spans(), b, alpha_out ? alpha_out->values() : std::span<T>());
  const std::size_t iv = values.id(), iz = z.id(), ia = att_src.id(), id = att_dst.id();
  const bool has_bias = bias != nullptr;
  const std::size_t ib = bias ? bias->id() : 0;
  const std::size_t iout = tape.size();  // this op's output, recorded next
  return tape.record(std::move(out), needs,
                     [&tape, &graph, iv, iz, ia, id, has_bias, ib, bias_grad, iout, shape,
                      negative_slope, drop, n, heads, s_src = std::move(s_src),
                      state = std::move(state), used = false](const Tensor<T>& g) mutable {
                       // The backward overwrites the state's positive sums, so it runs once.
                       if (used)
                         throw Error("gat_attention: backward ran twice through the same tape");
                       used = true;
                       if (bias_grad) add_column_sums(g, tape.grad(ib).data());
                       const bool scores_need = tape.requires_grad(iz) || tape.requires_grad(ia) ||
                                                tape.requires_grad(id);
                       Tensor<T> gs, gd;
                       if (scores_need) gs = tape.zeros(n, heads), gd = tape.zeros(n, heads);
                       std::span<T> gv;
                       if (tape.requires_grad(iv)) gv = tape.grad(iv).values();
                       std::span<const T> b;
                       if (has_bias) b = tape.value(ib).values();
                       kernels::gat_attention_backward<T>(
                           graph, shape, tape.value(iv).values(), s_src.values(), negative_slope,
                           drop, tape.value(iout).values(), b, state.terms(), state.positive(),
                           g.values(), gv, gs.values(), gd.values());
                       state = GatSavedState<T>();
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
                            const KeyedDropout<T>& drop, Tensor<T>* alpha_out, const Var<T>* bias) {
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
  std::span<const T> b;
  if (bias) {
    require_same_tape(x_src, *bias, "gatv2_attention");
    require_shape(bias->value(), 1, w, "gatv2_attention", "bias");
    b = bias->value().values();
  }
  if (!(drop.p >= T(0) && drop.p < T(1))) {
    throw Error("gatv2_attention: dropout must be in [0, 1), got " + std::to_string(drop.p));
  }
  const bool bias_grad = bias && bias->requires_grad();
  const bool needs = x_src.requires_grad() || x_dst.requires_grad() || att.requires_grad() ||
                     (x_edge && x_edge->requires_grad()) || bias_grad;
  // The backward's per-node terms; nothing per edge is kept.
  Tensor<T> terms;
  if (needs) terms = tape.uninitialized(n, std::size_t(kernels::kGatv2NodeTerms * shape.heads));
  allocate_alpha(alpha_out, graph, shape);
  Tensor<T> out = tape.uninitialized(n, w);
  const std::span<const T> xe = x_edge ? x_edge->value().values() : std::span<const T>();
  kernels::gatv2_attention_forward<T>(graph, shape, x_src.value().values(), x_dst.value().values(),
                                      att.value().values(), negative_slope, drop, out.values(),
                                      terms.values(), b,
                                      alpha_out ? alpha_out->values() : std::span<T>(), xe);
  const std::size_t is = x_src.id(), id = x_dst.id(), ia = att.id();
  const std::size_t ie = x_edge ? x_edge->id() : std::size_t(-1);
  const bool has_bias = bias != nullptr;
  const std::size_t ib = bias ? bias->id() : 0;
  const std::size_t iout = tape.size();  // this op's output, recorded next
  return tape.record(std::move(out), needs,
                     [&tape, &graph, is, id, ia, ie, has_bias, ib, bias_grad, iout, shape,
                      negative_slope, drop, terms = std::move(terms)](const Tensor<T>& g) mutable {
                       if (bias_grad) add_column_sums(g, tape.grad(ib).data());
                       std::span<T> gs, gd, ga, ge;
                       if (tape.requires_grad(is)) gs = tape.grad(is).values();
                       if (tape.requires_grad(id)) gd = tape.grad(id).values();
                       if (tape.requires_grad(ia)) ga = tape.grad(ia).values();
                       std::span<const T> xe;
                       if (ie != std::size_t(-1)) {
                         xe = tape.value(ie).values();
                         if (tape.requires_grad(ie)) ge = tape.grad(ie).values();
                       }
                       std::span<const T> b;
                       if (has_bias) b = tape.value(ib).values();
                       // The kernel writes its c slots in the terms before reading them, so
                       // this step could run again.
                       kernels::gatv2_attention_backward<T>(
                           graph, shape, tape.value(is).values(), tape.value(id).values(),
                           tape.value(ia).values(), negative_slope, drop, tape.value(iout).values(),
                           b, terms.values(), g.values(), gs, gd, ga, xe, ge);
                     });
}

}  // namespace

template <class T>
Var<T> gatv2_attention(Var<T> x_src, Var<T> x_dst, Var<T> att, const Graph& graph,
                       kernels::HeadShape shape, T negative_slope, const KeyedDropout<T>& drop,
                       Tensor<T>* alpha_out, const Var<T>* bias) {
  return gatv2_attention_with<T>(x_src, x_dst, nullptr, att, graph, shape, negative_slope, drop,
                                 alpha_out, bias);
}

template <class T>
Var<T> gatv2_edge_attention(Var<T> x_src, Var<T> x_dst, Var<T> x_edge, Var<T> att,
                            const Graph& graph, kernels::HeadShape shape, T negative_slope,
                            const KeyedDropout<T>& drop, Tensor<T>* alpha_out, const Var<T>* bias) {
  return gatv2_attention_with<T>(x_src, x_dst, &x_edge, att, graph, shape, negative_slope, drop,
                                 alpha_out, bias);
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
  Tensor<T> out = tape.uninitialized(n, std::size_t(shape.width()));
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
  Tensor<T> out = tape.uninitialized(n, w);
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

#define HEED_INSTANTIATE(T)                                                                        \
  template Var<T> gat_node_scores<T>(Var<T>, Var<T>, kernels::HeadShape);                          \
  template Var<T> gat_attention<T>(Var<T>, Var<T>, Var<T>, const Graph&, kernels::HeadShape, T,    \
                                   const KeyedDropout<T>&, Tensor<T>*);                            \
  template Var<T> gat_attention<T>(Var<T>, Var<T>, Var<T>, Var<T>, const Graph&,                   \
                                   kernels::HeadShape, T, const KeyedDropout<T>&, Tensor<T>*,      \
                                   const Var<T>*);                                                 \
  template Var<T> gatv2_attention<T>(Var<T>, Var<T>, Var<T>, const Graph&, kernels::HeadShape, T,  \
                                     const KeyedDropout<T>&, Tensor<T>*, const Var<T>*);           \
  template Var<T> gatv2_edge_attention<T>(Var<T>, Var<T>, Var<T>, Var<T>, const Graph&,            \
                                          kernels::HeadShape, T, const KeyedDropout<T>&,           \
                                          Tensor<T>*, const Var<T>*);                              \
  template Var<T> gat_edge_attention<T>(Var<T>, Var<T>, Var<T>, Var<T>, const Graph&,              \
                                        kernels::HeadShape, T, const KeyedDropout<T>&,             \
                                        Tensor<T>*);                                               \
  template Var<T> graph_dot_attention<T>(Var<T>, Var<T>, Var<T>, const Graph&, kernels::HeadShape, \
                                         const KeyedDropout<T>&, Tensor<T>*);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::ops
