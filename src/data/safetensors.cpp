#include "heed/data/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

#include "heed/data/atomic_file.hpp"
#include "heed/data/file_bytes.hpp"
#include "heed/error.hpp"

namespace heed::data {

// The raw data is copied as the host lays it out.
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; heed reads it on little-endian hosts only");

namespace {

// The safetensors reference implementation's bound on the header, which
// also keeps a damaged length from sizing an allocation.
constexpr std::uint64_t kMaxHeader = 100'000'000;

// Bytes per element of every dtype the format defines.
std::int64_t dtype_size(const std::string& dtype) {
  static const std::map<std::string, std::int64_t> sizes{
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

template <class To, class From>
std::vector<To> convert(const std::string& bytes) {
  std::vector<To> out(bytes.size() / sizeof(From));
  for (std::size_t k = 0; k < out.size(); ++k) {
    From v;
    std::memcpy(&v, bytes.data() + k * sizeof(From), sizeof(From));
    out[k] = To(v);
  }
  return out;
}

template <class To>
std::vector<To> to_values(const SafeTensor& t, const std::string& context) {
  if (t.dtype == "F32") return convert<To, float>(t.bytes);
  if (t.dtype == "F64") return convert<To, double>(t.bytes);
  throw Error(context + ": dtype " + t.dtype + " is not supported (heed reads F32 and F64)");
}

template <class T>
SafeTensor from_values(std::span<const T> values, std::vector<std::int64_t> shape,
                       const char* dtype) {
  SafeTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (t.numel() != std::int64_t(values.size())) {
    throw Error("safetensors: a tensor of " + std::to_string(values.size()) +
                " values does not have the shape it is given (" + std::to_string(t.numel()) +
                " elements)");
  }
  t.bytes.assign(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  return t;
}

// A JSON integer that fits `limit`, or heed::Error.
std::int64_t whole_number(const nlohmann::json& v, std::int64_t limit, const std::string& what) {
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0)) {
    throw Error(what + " must be a non-negative integer, got " + v.dump());
  }
  const std::uint64_t u = v.get<std::uint64_t>();
  if (u > std::uint64_t(limit)) {
    throw Error(what + " is " + std::to_string(u) + ", past the " + std::to_string(limit) +
                " the file allows");
  }
  return std::int64_t(u);
}

}  // namespace

std::int64_t SafeTensor::numel() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::vector<double> SafeTensor::to_doubles(const std::string& context) const {
  return to_values<double>(*this, context);
}
std::vector<float> SafeTensor::to_floats(const std::string& context) const {
  return to_values<float>(*this, context);
}
SafeTensor SafeTensor::from_floats(std::span<const float> values, std::vector<std::int64_t> shape) {
  return from_values(values, std::move(shape), "F32");
}
SafeTensor SafeTensor::from_doubles(std::span<const double> values,
                                    std::vector<std::int64_t> shape) {
  return from_values(values, std::move(shape), "F64");
}

const SafeTensor& SafetensorsFile::at(const std::string& name, const std::string& context) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(context + ": no tensor '" + name + "'");
  return it->second;
}

std::string encode_safetensors(const SafetensorsFile& file) {
  nlohmann::json header = nlohmann::json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name == "__metadata__") throw Error("safetensors: '__metadata__' cannot name a tensor");
    const std::int64_t size = dtype_size(t.dtype);
    if (size == 0) throw Error("safetensors: tensor '" + name + "' has unknown dtype " + t.dtype);
    if (std::int64_t(t.bytes.size()) != t.numel() * size) {
      throw Error("safetensors: tensor '" + name + "' has " + std::to_string(t.bytes.size()) +
                  " bytes for " + std::to_string(t.numel()) + " elements of " + t.dtype);
    }
    header[name] = {{"dtype", t.dtype},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  out += text;
  out.reserve(out.size() + offset);
  for (const auto& entry : file.tensors) out += entry.second.bytes;
  return out;
}

SafetensorsFile decode_safetensors(std::string_view bytes, const std::string& context) {
  if (bytes.size() < 8) {
    throw Error(context + ": " + std::to_string(bytes.size()) +
                " bytes is too short for a safetensors file (it starts with an 8-byte header "
                "length)");
  }
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxHeader) {
    throw Error(context + ": the header length " + std::to_string(n) + " is past the format's " +
                std::to_string(kMaxHeader) + " bytes: not a safetensors file, or a damaged one");
  }
  if (n > bytes.size() - 8) {
    throw Error(context + ": the header claims " + std::to_string(n) + " bytes, but only " +
                std::to_string(bytes.size() - 8) + " follow: the file is truncated");
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    throw Error(context + ": the header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) throw Error(context + ": the header is not a JSON object");
  const std::string_view data = bytes.substr(8 + n);
  const std::int64_t data_size = std::int64_t(data.size());

  SafetensorsFile file;
  struct Span {
    std::int64_t begin, end;
    std::string name;
  };
  std::vector<Span> spans;
  for (const auto& [name, entry] : header.items()) {
    const std::string where = context + ": tensor '" + name + "'";
    if (name == "__metadata__") {
      if (!entry.is_object()) throw Error(context + ": __metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          throw Error(context + ": __metadata__ '" + key + "' is not a string");
        }
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) throw Error(where + " is not described by an object");
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
      if (!entry.contains(field)) throw Error(where + " has no " + field);
    }
    SafeTensor t;
    if (!entry["dtype"].is_string()) throw Error(where + ": dtype is not a string");
    t.dtype = entry["dtype"].get<std::string>();
    const std::int64_t size = dtype_size(t.dtype);
    if (size == 0) throw Error(where + ": unknown dtype '" + t.dtype + "'");
    const nlohmann::json& shape = entry["shape"];
    if (!shape.is_array()) throw Error(where + ": shape is not an array");
    std::int64_t elements = 1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      const std::int64_t extent = whole_number(shape[d], std::numeric_limits<std::int64_t>::max(),
                                               where + ": shape[" + std::to_string(d) + "]");
      t.shape.push_back(extent);
      if (__builtin_mul_overflow(elements, extent, &elements)) {
        throw Error(where + ": shape " + shape.dump() + " has more elements than can be counted");
      }
    }
    std::int64_t needed = 0;
    if (__builtin_mul_overflow(elements, size, &needed)) {
      throw Error(where + ": shape " + shape.dump() + " has more bytes than can be counted");
    }
    const nlohmann::json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2) {
      throw Error(where + ": data_offsets is not a pair [begin, end]");
    }
    const std::int64_t begin = whole_number(offsets[0], data_size, where + ": data_offsets[0]");
    const std::int64_t end = whole_number(offsets[1], data_size, where + ": data_offsets[1]");
    if (end < begin) {
      throw Error(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] end before they begin");
    }
    if (end - begin != needed) {
      throw Error(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                  "] hold " + std::to_string(end - begin) + " bytes, but shape " + shape.dump() +
                  " of " + t.dtype + " needs " + std::to_string(needed));
    }
    t.bytes.assign(data.substr(std::size_t(begin), std::size_t(end - begin)));
    spans.push_back({begin, end, name});
    file.tensors.emplace(name, std::move(t));
  }
  // The tensors tile the data: sorted by offset, each begins where the last
  // ended, and the last ends with the file.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  std::int64_t covered = 0;
  for (std::size_t k = 0; k < spans.size(); ++k) {
    if (spans[k].begin < covered) {
      throw Error(context + ": tensor '" + spans[k].name + "' (bytes " +
                  std::to_string(spans[k].begin) + " to " + std::to_string(spans[k].end) +
                  ") overlaps tensor '" + spans[k - 1].name + "'");
    }
    if (spans[k].begin > covered) {
      throw Error(context + ": bytes " + std::to_string(covered) + " to " +
                  std::to_string(spans[k].begin) + " of the data belong to no tensor");
    }
    covered = spans[k].end;
  }
  if (covered != data_size) {
    throw Error(context + ": the data has " + std::to_string(data_size) +
                " bytes, but the tensors cover " + std::to_string(covered) +
                " (trailing bytes belong to no tensor)");
  }
  return file;
}

SafetensorsFile load_safetensors(const std::filesystem::path& path) {
  return decode_safetensors(read_file_bytes(path, "safetensors file"), path.string());
}

void save_safetensors(const std::filesystem::path& path, const SafetensorsFile& file) {
  write_file_atomically(path, encode_safetensors(file));
}

}  // namespace heed::data
