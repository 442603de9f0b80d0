#include "array_views.hpp"

#include <algorithm>

namespace heed::python {
namespace {

template <class T>
const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  if constexpr (std::is_same_v<T, double>) return "float64";
  if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  return "?";
}

}  // namespace

std::string shape_text(const py::array& a) {
  std::string text = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    text += (d ? ", " : "") + std::to_string(a.shape(d));
  }
  return text + (a.ndim() == 1 ? ",)" : ")");
}

template <class T>
std::span<const T> read_view(const py::array& a, const char* name,
                             const std::vector<std::int64_t>& shape) {
  if (!py::isinstance<py::array_t<T>>(a) || !a.dtype().is(py::dtype::of<T>())) {
    throw py::value_error(std::string(name) + " must be a " + dtype_name<T>() +
                          " array, got dtype " + std::string(py::str(a.dtype())));
  }
  bool fits = a.ndim() == py::ssize_t(shape.size());
  for (std::size_t d = 0; fits && d < shape.size(); ++d) {
    fits = shape[d] < 0 || a.shape(py::ssize_t(d)) == shape[d];
  }
  if (!fits) {
    std::string want = "(";
    for (std::size_t d = 0; d < shape.size(); ++d) {
      want += (d ? ", " : "") + (shape[d] < 0 ? std::string("any") : std::to_string(shape[d]));
    }
    want += shape.size() == 1 ? ",)" : ")";
    throw py::value_error(std::string(name) + " must have shape " + want + ", got " +
                          shape_text(a));
  }
  if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(std::string(name) +
                          " must be C-contiguous (heed reads it in place): pass "
                          "numpy.ascontiguousarray(...) or tensor.contiguous()");
  }
  return {static_cast<const T*>(a.data()), std::size_t(a.size())};
}

template <class T>
py::array_t<T> new_array(const std::vector<std::int64_t>& shape) {
  py::tuple s(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) s[d] = shape[d];
  return py::module_::import("numpy").attr("zeros")(s, py::dtype::of<T>());
}

template <class T>
py::array_t<T> scratch_array(const std::vector<std::int64_t>& shape) {
  std::vector<py::ssize_t> s(shape.begin(), shape.end());
  return py::array_t<T>(s);
}

py::array_t<std::int64_t> edge_index_array(const Graph& graph) {
  auto a = new_array<std::int64_t>({2, graph.num_edges()});
  const std::span<const NodeId> src = graph.edge_src();
  const std::vector<NodeId> dst = graph.edge_dst();
  std::copy(src.begin(), src.end(), a.mutable_data());
  std::copy(dst.begin(), dst.end(), a.mutable_data() + graph.num_edges());
  return a;
}

template std::span<const float> read_view<float>(const py::array&, const char*,
                                                 const std::vector<std::int64_t>&);
template std::span<const std::int64_t> read_view<std::int64_t>(const py::array&, const char*,
                                                               const std::vector<std::int64_t>&);
template std::span<const std::int32_t> read_view<std::int32_t>(const py::array&, const char*,
                                                               const std::vector<std::int64_t>&);
template py::array_t<float> new_array<float>(const std::vector<std::int64_t>&);
template py::array_t<std::int64_t> new_array<std::int64_t>(const std::vector<std::int64_t>&);
template py::array_t<float> scratch_array<float>(const std::vector<std::int64_t>&);

}  // namespace heed::python
