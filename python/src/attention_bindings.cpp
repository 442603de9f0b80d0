// heed's fused attention kernels on numpy arrays, for heed.torch: the
// projections and the bias stay in torch (its autograd differentiates them);
// the scores, the edge softmax, dropout and the weighted sum run here, in
// place on the tensors' memory, with the GIL released.
#include <optional>

#include "array_views.hpp"
#include "edge_index_graph.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/kernels/gat_edge_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"

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

Sizes gat_sizes(const EdgeIndexGraph& g, const py::array& z, const py::array& s_src) {
  if (z.ndim() != 2 || s_src.ndim() != 2) throw py::value_error("z and s_src must be 2-D");
  const Sizes s{g.graph.num_nodes(), g.graph.num_edges(), s_src.shape(1), z.shape(1)};
  if (s.heads < 1 || s.width % s.heads != 0) {
    throw py::value_error("z's " + std::to_string(s.width) + " columns do not split into " +
                          std::to_string(s.heads) + " heads");
  }
  return s;
}

py::tuple gat_forward(const EdgeIndexGraph& g, const py::array& z, const py::array& s_src,
                      const py::array& s_dst, const Optional& s_edge, double slope, double p,
                      std::uint64_t key) {
  const Sizes s = gat_sizes(g, z, s_src);
  const auto zv = read_view<float>(z, "z", {s.n, s.width});
  const auto sv = read_view<float>(s_src, "s_src", {s.n, s.heads});
  const auto dv = read_view<float>(s_dst, "s_dst", {s.n, s.heads});
  std::span<const float> ev;
  if (s_edge) ev = read_view<float>(*s_edge, "s_edge", {s.e, s.heads});
  auto out = new_array<float>({s.n, s.width});
  auto alpha = new_array<float>({s.e, s.heads});
  const KeyedDropout<float> drop = dropout_of(p, key);
  auto ov = write_view(out), av = write_view(alpha);
  {
    py::gil_scoped_release release;
    if (s_edge) {
      kernels::gat_edge_attention_forward<float>(g.graph, s.shape(), zv, sv, dv, ev, float(slope),
                                                 drop, av, ov);
    } else {
      kernels::gat_attention_forward<float>(g.graph, s.shape(), zv, sv, dv, float(slope), drop, av,
                                            ov);
    }
  }
  return py::make_tuple(out, alpha);
}

py::tuple gat_backward(const EdgeIndexGraph& g, const py::array& z, const py::array& s_src,
                       const py::array& s_dst, const Optional& s_edge, double slope, double p,
                       std::uint64_t key, const py::array& alpha, const py::array& out,
                       const py::array& grad_out) {
  const Sizes s = gat_sizes(g, z, s_src);
  const auto zv = read_view<float>(z, "z", {s.n, s.width});
  const auto sv = read_view<float>(s_src, "s_src", {s.n, s.heads});
  const auto dv = read_view<float>(s_dst, "s_dst", {s.n, s.heads});
  const auto av = read_view<float>(alpha, "alpha", {s.e, s.heads});
  const auto ov = read_view<float>(out, "out", {s.n, s.width});
  const auto gv = read_view<float>(grad_out, "grad_out", {s.n, s.width});
  std::span<const float> ev;
  if (s_edge) ev = read_view<float>(*s_edge, "s_edge", {s.e, s.heads});
  auto grad_z = new_array<float>({s.n, s.width});
  auto grad_src = new_array<float>({s.n, s.heads});
  auto grad_dst = new_array<float>({s.n, s.heads});
  auto grad_edge = new_array<float>({s.e, s.heads});  // also the scratch of the edge-less kernel
  const KeyedDropout<float> drop = dropout_of(p, key);
  {
    py::gil_scoped_release release;
    if (s_edge) {
      kernels::gat_edge_attention_backward<float>(
          g.graph, s.shape(), zv, sv, dv, ev, float(slope), drop, av, ov, gv, write_view(grad_z),
          write_view(grad_src), write_view(grad_dst), write_view(grad_edge));
    } else {
      kernels::gat_attention_backward<float>(g.graph, s.shape(), zv, sv, dv, float(slope), drop, av,
                                             ov, gv, write_view(grad_z), write_view(grad_src),
                                             write_view(grad_dst), write_view(grad_edge));
    }
  }
  if (s_edge) return py::make_tuple(grad_z, grad_src, grad_dst, grad_edge);
  return py::make_tuple(grad_z, grad_src, grad_dst, py::none());
}

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
  auto out = new_array<float>({s.n, s.width});
  auto alpha = new_array<float>({s.e, s.heads});
  const KeyedDropout<float> drop = dropout_of(p, key);
  auto ov = write_view(out), av = write_view(alpha);
  {
    py::gil_scoped_release release;
    kernels::gatv2_attention_forward<float>(g.graph, s.shape(), xs, xd, a, float(slope), drop, av,
                                            ov, xe);
  }
  return py::make_tuple(out, alpha);
}

py::tuple gatv2_backward(const EdgeIndexGraph& g, const py::array& x_src, const py::array& x_dst,
                         const py::array& att, const Optional& x_edge, int heads, double slope,
                         double p, std::uint64_t key, const py::array& alpha, const py::array& out,
                         const py::array& grad_out) {
  const Sizes s = gatv2_sizes(g, x_src, heads);
  const auto xs = read_view<float>(x_src, "x_src", {s.n, s.width});
  const auto xd = read_view<float>(x_dst, "x_dst", {s.n, s.width});
  const auto a = read_view<float>(att, "att", {s.width});
  const auto av = read_view<float>(alpha, "alpha", {s.e, s.heads});
  const auto ov = read_view<float>(out, "out", {s.n, s.width});
  const auto gv = read_view<float>(grad_out, "grad_out", {s.n, s.width});
  std::span<const float> xe;
  if (x_edge) xe = read_view<float>(*x_edge, "x_edge", {s.e, s.width});
  auto grad_src = new_array<float>({s.n, s.width});
  auto grad_dst = new_array<float>({s.n, s.width});
  auto grad_att = new_array<float>({s.width});
  auto work = new_array<float>({s.e, s.heads});
  py::array_t<float> grad_edge;
  std::span<float> ge;
  if (x_edge) {
    grad_edge = new_array<float>({s.e, s.width});
    ge = write_view(grad_edge);
  }
  const KeyedDropout<float> drop = dropout_of(p, key);
  {
    py::gil_scoped_release release;
    kernels::gatv2_attention_backward<float>(g.graph, s.shape(), xs, xd, a, float(slope), drop, av,
                                             ov, gv, write_view(grad_src), write_view(grad_dst),
                                             write_view(grad_att), write_view(work), xe, ge);
  }
  if (x_edge) return py::make_tuple(grad_src, grad_dst, grad_att, grad_edge);
  return py::make_tuple(grad_src, grad_dst, grad_att, py::none());
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
      .def_property_readonly("pyg_edge", [](const EdgeIndexGraph& g) {
        return as_array(g.pyg_edge, {std::int64_t(g.pyg_edge.size())});
      });

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
  m.def("gat_attention", &gat_forward, py::arg("graph"), py::arg("z"), py::arg("s_src"),
        py::arg("s_dst"), py::arg("s_edge") = py::none(), py::arg("negative_slope") = 0.2,
        py::arg("dropout") = 0.0, py::arg("key") = 0,
        "GAT's attention: (out N x H F, alpha E x H) from z and the node scores");
  m.def("gat_attention_backward", &gat_backward, py::arg("graph"), py::arg("z"), py::arg("s_src"),
        py::arg("s_dst"), py::arg("s_edge"), py::arg("negative_slope"), py::arg("dropout"),
        py::arg("key"), py::arg("alpha"), py::arg("out"), py::arg("grad_out"));
  m.def("gatv2_attention", &gatv2_forward, py::arg("graph"), py::arg("x_src"), py::arg("x_dst"),
        py::arg("att"), py::arg("x_edge") = py::none(), py::arg("heads") = 1,
        py::arg("negative_slope") = 0.2, py::arg("dropout") = 0.0, py::arg("key") = 0,
        "GATv2's attention: (out N x H F, alpha E x H)");
  m.def("gatv2_attention_backward", &gatv2_backward, py::arg("graph"), py::arg("x_src"),
        py::arg("x_dst"), py::arg("att"), py::arg("x_edge"), py::arg("heads"),
        py::arg("negative_slope"), py::arg("dropout"), py::arg("key"), py::arg("alpha"),
        py::arg("out"), py::arg("grad_out"));
}

}  // namespace heed::python
