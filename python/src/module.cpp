// heed._heed, the compiled half of `import heed`: heed's errors become
// heed.HeedError (a ValueError), raised with heed's own message.
#include <pybind11/pybind11.h>

#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"

namespace heed::python {
void bind_attention(pybind11::module_& m);
void bind_datasets(pybind11::module_& m);
void bind_models(pybind11::module_& m);
}  // namespace heed::python

PYBIND11_MODULE(_heed, m) {
  namespace py = pybind11;
  m.doc() = "heed: graph attention networks in C++";
  py::register_exception<heed::Error>(m, "HeedError", PyExc_ValueError);
  m.attr("__version__") = HEED_VERSION;
  m.def("set_num_threads", &heed::set_num_threads, py::arg("threads"),
        "Threads heed's kernels use (OpenMP)");
  m.def("num_threads", &heed::num_threads, "Threads heed's kernels use");
  heed::python::bind_attention(m);
  heed::python::bind_datasets(m);
  heed::python::bind_models(m);
}
