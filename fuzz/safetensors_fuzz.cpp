// Any bytes as a safetensors file: decoding and converting each tensor must
// either succeed or throw heed::Error, and what decodes must encode again to
// bytes that decode to the same tensors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "heed/data/safetensors.hpp"
#include "heed/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  heed::data::SafetensorsFile file;
  try {
    file = heed::data::decode_safetensors(bytes, "fuzz.safetensors");
  } catch (const heed::Error&) {
    return 0;
  }
  for (const auto& [name, tensor] : file.tensors) {
    try {
      tensor.to_floats(name);
    } catch (const heed::Error&) {
    }
  }
  const heed::data::SafetensorsFile again =
      heed::data::decode_safetensors(heed::data::encode_safetensors(file), "re-encoded");
  if (again.tensors.size() != file.tensors.size() || again.metadata != file.metadata) std::abort();
  for (const auto& [name, tensor] : file.tensors) {
    const heed::data::SafeTensor& t = again.tensors.at(name);
    if (t.dtype != tensor.dtype || t.shape != tensor.shape || t.bytes != tensor.bytes) std::abort();
  }
  return 0;
}
