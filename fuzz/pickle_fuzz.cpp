// Any bytes as a Python pickle, as heed data download reads Planetoid's
// files from the network: reading must either succeed or throw heed::Error,
// and so must decoding what it built as a numpy array or a scipy CSR matrix
// (the root and each value inside it, as a reader would try them).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "heed/data/numpy_array.hpp"
#include "heed/data/python_pickle.hpp"
#include "heed/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const heed::data::pickle::Pickle p = heed::data::pickle::read_pickle(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    auto decode = [](const heed::data::pickle::Value& v) {
      try {
        heed::data::numpy_array(v, "fuzz");
      } catch (const heed::Error&) {
      }
      try {
        heed::data::scipy_csr_matrix(v, "fuzz");
      } catch (const heed::Error&) {
      }
    };
    decode(p.root());
    for (const heed::data::pickle::Value* v : p.root().items) decode(*v);
    if (p.root().state) decode(*p.root().state);
  } catch (const heed::Error&) {
  }
  return 0;
}
