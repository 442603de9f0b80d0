#pragma once
// safetensors, the format PyTorch users share weights in
// (https://github.com/huggingface/safetensors):
//
//   u64 little-endian N | N bytes of JSON header | raw little-endian data
//
// The header maps each tensor's name to {"dtype", "shape", "data_offsets":
// [begin, end]}, offsets relative to the end of the header, and may hold a
// "__metadata__" object of strings. heed reads and writes F32 and F64
// values; a file with tensors of other dtypes is read (its layout checked),
// but only F32 and F64 tensors can be converted to numbers.
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace heed::data {

/// One tensor of a safetensors file: its dtype as the file spells it
/// ("F32"), its shape (any rank; empty for a scalar) and its raw bytes.
struct SafeTensor {
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::string bytes;  // little-endian, row-major

  /// The number of elements: the product of the shape.
  std::int64_t numel() const;
  /// The values as doubles or floats (F32 or F64 converted); heed::Error
  /// naming `context` if the dtype is not F32 or F64.
  std::vector<double> to_doubles(const std::string& context) const;
  std::vector<float> to_floats(const std::string& context) const;

  static SafeTensor from_floats(std::span<const float> values, std::vector<std::int64_t> shape);
  static SafeTensor from_doubles(std::span<const double> values, std::vector<std::int64_t> shape);
};

struct SafetensorsFile {
  std::map<std::string, SafeTensor> tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__"

  /// The tensor named `name`; heed::Error naming `context` and the tensor if
  /// it is missing.
  const SafeTensor& at(const std::string& name, const std::string& context) const;
};

/// The bytes of the file. The header is padded with spaces to a multiple of
/// 8 bytes, and the tensors are laid out in name order without gaps.
std::string encode_safetensors(const SafetensorsFile& file);

/// Reads and checks the bytes: the header length against the file's size,
/// the header's JSON, each entry's dtype, shape and offsets (within the
/// data, matching the shape, not overlapping, covering the data without
/// holes). heed::Error prefixed by `context` names the tensor and the fault.
SafetensorsFile decode_safetensors(std::string_view bytes, const std::string& context);

SafetensorsFile load_safetensors(const std::filesystem::path& path);
/// Written through a temporary file and a rename.
void save_safetensors(const std::filesystem::path& path, const SafetensorsFile& file);

}  // namespace heed::data
