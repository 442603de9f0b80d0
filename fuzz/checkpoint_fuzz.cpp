// Any bytes as a checkpoint: decoding, restoring the model it describes and
// reading its training state must either succeed or throw heed::Error. Each
// input is tried as it is and again with its last four bytes replaced by the
// right CRC-32, so that mutations get past the checksum to the parser.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "heed/error.hpp"
#include "heed/train/checkpoint.hpp"

namespace {

void try_decode(std::string_view bytes) {
  try {
    const heed::train::Checkpoint c = heed::train::decode_checkpoint(bytes, "fuzz.heed");
    // Keep the models small enough to build: the fuzzer may ask for any size.
    const heed::nn::ModelSpec& s = c.spec;
    // In doubles: the fuzzer's sizes overflow any integer product.
    double module_weights = 0;
    for (const heed::nn::ModuleSpec& m : s.modules) {
      module_weights += (double(m.layer.in_channels) + std::max(m.layer.edge_dim, 0)) *
                        m.layer.out_channels * std::max(m.layer.heads, 1);
    }
    if (std::int64_t(s.in_channels) * s.heads * s.hidden_channels * s.layers < (1 << 22) &&
        std::int64_t(s.out_channels) * s.output_heads * s.heads * s.hidden_channels < (1 << 22) &&
        module_weights < (1 << 22)) {
      heed::train::restore_model(c, "fuzz.heed");
    }
    heed::train::training_state(c, "fuzz.heed");
  } catch (const heed::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try_decode(bytes);
  if (size >= 4) {
    std::string fixed(bytes);
    const std::uint32_t crc = std::uint32_t(
        crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(fixed.data()), uInt(size - 4)));
    std::memcpy(fixed.data() + size - 4, &crc, 4);
    try_decode(fixed);
  }
  return 0;
}
