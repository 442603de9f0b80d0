#pragma once
// numpy arrays in and out of heed without copies: an argument is checked to
// be a C-contiguous array of the dtype and shape heed reads (a clear
// ValueError names the argument otherwise, never a silent conversion), then
// read in place; results are numpy arrays heed writes into directly.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::python {

namespace py = pybind11;

/// The array's shape as "(3, 4)", for messages.
std::string shape_text(const py::array& a);

/// `a` as a read-only span of T, after checking its dtype, contiguity and
/// shape (-1 in `shape` accepts any extent there).
template <class T>
std::span<const T> read_view(const py::array& a, const char* name,
                             const std::vector<std::int64_t>& shape);

/// A new C-contiguous numpy array of the given shape, zero-filled (through
/// numpy.zeros: large ones arrive as fresh zero pages, not a memset).
template <class T>
py::array_t<T> new_array(const std::vector<std::int64_t>& shape);
/// The same, uninitialised, for outputs a kernel writes whole.
template <class T>
py::array_t<T> scratch_array(const std::vector<std::int64_t>& shape);

/// A graph's edges as PyG's edge_index: 2 x E int64, sources then
/// destinations, in edge id order.
py::array_t<std::int64_t> edge_index_array(const Graph& graph);

/// The writable span of an array made by new_array.
template <class T>
std::span<T> write_view(py::array_t<T>& a) {
  return {a.mutable_data(), std::size_t(a.size())};
}

}  // namespace heed::python
