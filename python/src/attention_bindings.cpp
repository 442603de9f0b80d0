// heed's fused attention kernels on numpy arrays, for heed.torch, in place
// on the tensors' memory and with the GIL released. GATConv runs here but for
// its bias and edge term (projection, node scores, edge softmax, dropout,
// weighted sum); GATv2Conv's projections stay in torch, and the per-edge work
// runs here.
#include <optional>

#include "array_views.hpp"
#include "edge_index_graph.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/kernels/gat_edge_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"
#include "heed/tensor/blas.hpp"

namespace heed::python {
namespace {

using Optional = std::optional<py::array>;

KeyedDropout<float> dropout_of(double p, std::uint64_t key) {
  if (!(p >= 0 && p < 1))
    throw py::value_error("dropout must be in [0, 1), got " + std::to_string(p));
  return KeyedDropout<float>{float(p), key};
}

struct Sizes {
  std::int64_t n, e, heads, width;
  kernels::HeadShape shape() const { return {int(heads), int(width / heads)}; }
};

Sizes gatv2_sizes(const EdgeIndexGraph& g, const py::array& x_src, int heads) {
  if (x_src.ndim() != 2) throw py::value_error("x_src must be 2-D");
  const Sizes s{g.graph.num_nodes(), g.graph.num_edges(), heads, x_src.shape(1)};
  if (s.heads < 1 || s.width % s.heads != 0) {
    throw py::value_error("x_src's " + std::to_string(s.width) + " columns do not split into " +
                          std::to_string(s.heads) + " heads");
  }
  return s;
}

py::tuple gatv2_forward(const EdgeIndexGraph& g, const py::array& x_src, const py::array& x_dst,
                        const py::array& att, const Optional& x_edge, int heads, double slope,
                        double p, std::uint64_t key) {
  const Sizes s = gatv2_sizes(g, x_src, heads);
  const auto xs = read_view<float>(x_src, "x_src", {s.n, s.width});
  const auto xd = read_view<float>(x_dst, "x_dst", {s.n, s.width});
  const auto a = read_view<float>(att, "att", {s.width});
  std::span<const float> xe;
  if (x_edge) xe = read_view<float>(*x_edge, "x_edge", {s.e, s.width});
  auto out = scratch_array<float>({s.n, s.width});    // every row written
  auto alpha = scratch_array<float>({s.e, s.heads});  // every edge written
  auto terms = scratch_array<float>({s.n, kernels::kGatv2NodeTerms * s.heads});
  const KeyedDropout<float> drop = dropout_of(p, key);
  {
    py::gil_scoped_release release;
    kernels::gatv2_attention_forward<float>(g.graph, s.shape(), xs, xd, a, float(slope), drop,
                                            write_view(out), write_view(terms), {},
                                            write_view(alpha), xe);
  }
  return py::make_tuple(out, alpha, terms);
}

py::tuple gatv2_backward(const EdgeIndexGraph& g, const py::array& x_src, const py::array& x_dst,
                         const py::array& att, const Optional& x_edge, int heads, double slope,
                         double p, std::uint64_t key, const py::array& node_terms,
                         const py::array& out, const py::array& grad_out) {
  const Sizes s = gatv2_sizes(g, x_src, heads);
  const auto xs = read_view<float>(x_src, "x_src", {s.n, s.width});
  const auto xd = read_view<float>(x_dst, "x_dst", {s.n, s.width});
  const auto a = read_view<float>(att, "att", {s.width});
  // The kernel writes the terms' c slots, so it gets a copy: the caller's
  // array stays as the forward left it.
  const auto saved =
      read_view<float>(node_terms, "node_terms", {s.n, kernels::kGatv2NodeTerms * s.heads});
  auto terms = scratch_array<float>({s.n, kernels::kGatv2NodeTerms * s.heads});
  std::copy(saved.begin(), saved.end(), terms.mutable_data());
  const auto tv = write_view(terms);
  const auto ov = read_view<float>(out, "out", {s.n, s.width});
  const auto gv = read_view<float>(grad_out, "grad_out", {s.n, s.width});
  std::span<const float> xe;
  if (x_edge) xe = read_view<float>(*x_edge, "x_edge", {s.e, s.width});
  auto grad_src = new_array<float>({s.n, s.width});
  auto grad_dst = new_array<float>({s.n, s.width});
  auto grad_att = new_array<float>({s.width});
  py::array_t<float> grad_edge;
  std::span<float> ge;
  if (x_edge) {
    grad_edge = new_array<float>({s.e, s.width});
    ge = write_view(grad_edge);
  }
  const KeyedDropout<float> drop = dropout_of(p, key);
  {
    py::gil_scoped_release release;
    kernels::gatv2_attention_backward<float>(g.graph, s.shape(), xs, xd, a, float(slope), drop, ov,
                                             {}, tv, gv, write_view(grad_src), write_view(grad_dst),
                                             write_view(grad_att), xe, ge);
  }
  if (x_edge) return py::make_tuple(grad_src, grad_dst, grad_att, grad_edge);
  return py::make_tuple(grad_src, grad_dst, grad_att, py::none());
}

// A row-major view of a checked numpy array.
MatrixView<const float> matrix(std::span<const float> v, std::int64_t rows, std::int64_t cols) {
  return {v.data(), std::size_t(rows), std::size_t(cols), std::size_t(cols)};
}
MatrixView<float> matrix(py::array_t<float>& a, std::int64_t rows, std::int64_t cols) {
  return {a.mutable_data(), std::size_t(rows), std::size_t(cols), std::size_t(cols)};
}

struct ConvSizes {
  std::int64_t n, e, in, heads, channels;
  std::int64_t width() const { return heads * channels; }
  kernels::HeadShape shape() const { return {int(heads), int(channels)}; }
};

ConvSizes conv_sizes(const EdgeIndexGraph& g, const py::array& x, const py::array& att_src) {
  if (x.ndim() != 2)
    throw py::value_error("x must be 2-D (nodes x features), got " + shape_text(x));
  if (att_src.ndim() != 3 || att_src.shape(0) != 1) {
    throw py::value_error("att_src must have shape (1, heads, channels), got " +
                          shape_text(att_src));
  }
  return {g.graph.num_nodes(), g.graph.num_edges(), x.shape(1), att_src.shape(1), att_src.shape(2)};
}

// GATConv's per-layer work in one call: z = x W^T (W out x in, as PyG's
// Linear stores it; through BLAS), the node scores, the edge softmax and the
// weighted sum. Returns out, alpha and what the backward pass reads (z, the
// node scores and, without edge scores, the kernel's node terms and positive
// part of out; None with them).
py::tuple gat_conv_forward(const EdgeIndexGraph& g, const py::array& x, const py::array& weight,
                           const py::array& att_src, const py::array& att_dst,
                           const Optional& s_edge, double slope, double p, std::uint64_t key) {
  const ConvSizes s = conv_sizes(g, x, att_src);
  if (x.shape(0) != s.n) {
    throw py::value_error("x has " + std::to_string(x.shape(0)) + " rows, the graph " +
                          std::to_string(s.n) + " nodes");
  }
  const auto xv = read_view<float>(x, "x", {s.n, s.in});
  const auto wv = read_view<float>(weight, "lin_src.weight", {s.width(), s.in});
  const auto as = read_view<float>(att_src, "att_src", {1, s.heads, s.channels});
  const auto ad = read_view<float>(att_dst, "att_dst", {1, s.heads, s.channels});
  std::span<const float> ev;
  if (s_edge) ev = read_view<float>(*s_edge, "s_edge", {s.e, s.heads});
  auto z = scratch_array<float>({s.n, s.width()});
  auto s_src = scratch_array<float>({s.n, s.heads});
  auto s_dst = scratch_array<float>({s.n, s.heads});
  auto out = scratch_array<float>({s.n, s.width()});  // every row written
  auto alpha = scratch_array<float>({s.e, s.heads});  // every edge written
  py::array_t<float> terms, positive;
  if (!s_edge) {
    terms = scratch_array<float>({s.n, kernels::kGatNodeTerms * s.heads});
    positive = scratch_array<float>({s.n, s.width()});
  }
  const KeyedDropout<float> drop = dropout_of(p, key);
  {
    py::gil_scoped_release release;
    gemm(Transpose::kNo, Transpose::kYes, 1.0f, matrix(xv, s.n, s.in), matrix(wv, s.width(), s.in),
         0.0f, matrix(z, s.n, s.width()));
    kernels::gat_node_score_pair<float>(s.shape(), write_view(z), as, ad, write_view(s_src),
                                        write_view(s_dst));
    if (s_edge) {
      kernels::gat_edge_attention_forward<float>(
          g.graph, s.shape(), write_view(z), write_view(s_src), write_view(s_dst), ev, float(slope),
          drop, write_view(alpha), write_view(out));
    } else {
      kernels::gat_attention_forward<float>(
          g.graph, s.shape(), write_view(z), write_view(s_src), write_view(s_dst), float(slope),
          drop, write_view(out), {write_view(terms), write_view(positive)}, {}, write_view(alpha));
    }
  }
  if (s_edge) return py::make_tuple(out, alpha, z, s_src, s_dst, py::none(), py::none());
  return py::make_tuple(out, alpha, z, s_src, s_dst, terms, positive);
}

// Its backward: the attention's gradients, the node scores' (into grad_z and
// the attention vectors), then grad_W = grad_z^T x and grad_x = grad_z W.
py::tuple gat_conv_backward(const EdgeIndexGraph& g, const py::array& x, const py::array& weight,
                            const py::array& att_src, const py::array& att_dst,
                            const Optional& s_edge, const py::array& z, const py::array& s_src,
                            const py::array& s_dst, const py::array& alpha, const py::array& out,
                            const Optional& node_terms, const Optional& positive_out,
                            const py::array& grad_out, double slope, double p, std::uint64_t key,
                            bool need_x) {
  const ConvSizes s = conv_sizes(g, x, att_src);
  const auto xv = read_view<float>(x, "x", {s.n, s.in});
  const auto wv = read_view<float>(weight, "lin_src.weight", {s.width(), s.in});
  const auto as = read_view<float>(att_src, "att_src", {1, s.heads, s.channels});
  const auto ad = read_view<float>(att_dst, "att_dst", {1, s.heads, s.channels});
  const auto zv = read_view<float>(z, "z", {s.n, s.width()});
  const auto sv = read_view<float>(s_src, "s_src", {s.n, s.heads});
  const auto dv = read_view<float>(s_dst, "s_dst", {s.n, s.heads});
  const auto av = read_view<float>(alpha, "alpha", {s.e, s.heads});
  const auto ov = read_view<float>(out, "out", {s.n, s.width()});
  const auto gv = read_view<float>(grad_out, "grad_out", {s.n, s.width()});
  std::span<const float> ev;
  if (s_edge) ev = read_view<float>(*s_edge, "s_edge", {s.e, s.heads});
  // The kernel overwrites part of its node terms, so it gets a copy: torch
  // may run this backward twice (retain_graph).
  py::array_t<float> terms;
  std::span<const float> pv;
  if (!s_edge) {
    if (!node_terms || !positive_out) {
      throw py::value_error(
          "gat_conv_backward: node_terms and positive_out are needed without s_edge");
    }
    const auto tv =
        read_view<float>(*node_terms, "node_terms", {s.n, kernels::kGatNodeTerms * s.heads});
    terms = scratch_array<float>({s.n, kernels::kGatNodeTerms * s.heads});
    std::copy(tv.begin(), tv.end(), terms.mutable_data());
    pv = read_view<float>(*positive_out, "positive_out", {s.n, s.width()});
  }
  auto grad_z = new_array<float>({s.n, s.width()});
  auto grad_src = new_array<float>({s.n, s.heads});
  auto grad_dst = new_array<float>({s.n, s.heads});
  py::array_t<float> grad_edge;
  if (s_edge) grad_edge = new_array<float>({s.e, s.heads});
  auto grad_w = scratch_array<float>({s.width(), s.in});
  auto grad_as = new_array<float>({1, s.heads, s.channels});
  auto grad_ad = new_array<float>({1, s.heads, s.channels});
  py::array_t<float> grad_x;
  if (need_x) grad_x = scratch_array<float>({s.n, s.in});
  const KeyedDropout<float> drop = dropout_of(p, key);
  {
    py::gil_scoped_release release;
    if (s_edge) {
      kernels::gat_edge_attention_backward<float>(
          g.graph, s.shape(), zv, sv, dv, ev, float(slope), drop, av, ov, gv, write_view(grad_z),
          write_view(grad_src), write_view(grad_dst), write_view(grad_edge));
    } else {
      kernels::gat_attention_backward<float>(g.graph, s.shape(), zv, sv, float(slope), drop, ov, {},
                                             write_view(terms), pv, gv, write_view(grad_z),
                                             write_view(grad_src), write_view(grad_dst));
    }
    kernels::gat_node_score_pair_backward<float>(s.shape(), zv, as, ad, write_view(grad_src),
                                                 write_view(grad_dst), write_view(grad_z),
                                                 write_view(grad_as), write_view(grad_ad));
    const MatrixView<const float> gz{grad_z.data(), std::size_t(s.n), std::size_t(s.width()),
                                     std::size_t(s.width())};
    gemm(Transpose::kYes, Transpose::kNo, 1.0f, gz, matrix(xv, s.n, s.in), 0.0f,
         matrix(grad_w, s.width(), s.in));
    if (need_x) {
      gemm(Transpose::kNo, Transpose::kNo, 1.0f, gz, matrix(wv, s.width(), s.in), 0.0f,
           matrix(grad_x, s.n, s.in));
    }
  }
  return py::make_tuple(need_x ? py::object(grad_x) : py::none(), grad_w, grad_as, grad_ad,
                        s_edge ? py::object(grad_edge) : py::none());
}

template <class T>
py::array_t<T> as_array(const std::vector<T>& v, std::vector<std::int64_t> shape) {
  auto a = new_array<T>(shape);
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

}  // namespace

void bind_attention(py::module_& m) {
  py::class_<EdgeIndexGraph>(m, "EdgeIndexGraph",
                             "A PyG edge_index as heed's graph, self loops handled as PyG does")
      .def(py::init([](const py::array& edge_index, std::int64_t num_nodes, bool add_self_loops) {
             const auto v = read_view<std::int64_t>(edge_index, "edge_index", {2, -1});
             const std::size_t e = v.size() / 2;
             py::gil_scoped_release release;
             return EdgeIndexGraph(v.first(e), v.subspan(e), num_nodes, add_self_loops);
           }),
           py::arg("edge_index"), py::arg("num_nodes"), py::arg("add_self_loops") = true)
      .def_property_readonly("num_nodes",
                             [](const EdgeIndexGraph& g) { return g.graph.num_nodes(); })
      .def_property_readonly("num_edges",
                             [](const EdgeIndexGraph& g) { return g.graph.num_edges(); })
      .def_property_readonly(
          "edge_index",
          [](const EdgeIndexGraph& g) {
            std::vector<std::int64_t> both(g.src);
            both.insert(both.end(), g.dst.begin(), g.dst.end());
            return as_array(both, {2, std::int64_t(g.src.size())});
          },
          "The edges in PyG's order (kept input edges, then the loops)")
      .def_property_readonly(
          "kept",
          [](const EdgeIndexGraph& g) { return as_array(g.kept, {std::int64_t(g.kept.size())}); },
          "Input positions of the edges kept, in order")
      .def_property_readonly(
          "heed_edge",
          [](const EdgeIndexGraph& g) {
            return as_array(g.heed_edge, {std::int64_t(g.heed_edge.size())});
          },
          "heed's edge id (row of alpha) of each edge in PyG's order")
      .def_property_readonly(
          "pyg_edge",
          [](const EdgeIndexGraph& g) {
            return as_array(g.pyg_edge, {std::int64_t(g.pyg_edge.size())});
          },
          "PyG's position of each heed edge id (the inverse of heed_edge)");

  m.def(
      "dropout_scales",
      [](double p, std::uint64_t key, std::int64_t count) {
        const KeyedDropout<float> drop = dropout_of(p, key);
        auto a = new_array<float>({count});
        drop.scales(0, int(count), a.mutable_data());
        return a;
      },
      py::arg("dropout"), py::arg("key"), py::arg("count"),
      "The factors (0 or 1 / (1 - p)) the kernels' attention dropout applies to elements "
      "0 .. count-1 (edge e, head h is element e * heads + h)");
  m.def("gat_conv", &gat_conv_forward, py::arg("graph"), py::arg("x"), py::arg("weight"),
        py::arg("att_src"), py::arg("att_dst"), py::arg("s_edge") = py::none(),
        py::arg("negative_slope") = 0.2, py::arg("dropout") = 0.0, py::arg("key") = 0,
        "GATConv's layer without its bias: (out N x H C, alpha E x H, z, s_src, s_dst, "
        "node_terms, positive_out; the last two None with s_edge)");
  m.def("gat_conv_backward", &gat_conv_backward, py::arg("graph"), py::arg("x"), py::arg("weight"),
        py::arg("att_src"), py::arg("att_dst"), py::arg("s_edge"), py::arg("z"), py::arg("s_src"),
        py::arg("s_dst"), py::arg("alpha"), py::arg("out"), py::arg("node_terms"),
        py::arg("positive_out"), py::arg("grad_out"), py::arg("negative_slope"), py::arg("dropout"),
        py::arg("key"), py::arg("need_x") = true,
        "(grad_x or None, grad_weight, grad_att_src, grad_att_dst, grad_s_edge or None)");
  m.def("gatv2_attention", &gatv2_forward, py::arg("graph"), py::arg("x_src"), py::arg("x_dst"),
        py::arg("att"), py::arg("x_edge") = py::none(), py::arg("heads") = 1,
        py::arg("negative_slope") = 0.2, py::arg("dropout") = 0.0, py::arg("key") = 0,
        "GATv2's attention: (out N x H F, alpha E x H, node_terms N x 3H for the backward)");
  m.def("gatv2_attention_backward", &gatv2_backward, py::arg("graph"), py::arg("x_src"),
        py::arg("x_dst"), py::arg("att"), py::arg("x_edge"), py::arg("heads"),
        py::arg("negative_slope"), py::arg("dropout"), py::arg("key"), py::arg("node_terms"),
        py::arg("out"), py::arg("grad_out"),
        "(grad_x_src, grad_x_dst, grad_att, grad_x_edge or None) of gatv2_attention");
}

}  // namespace heed::python
