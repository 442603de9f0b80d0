// safetensors against bytes laid out by hand from the format's description,
// against PyG's own file (the pyg-gat-cora fixture), and on damaged files.
#include "heed/data/safetensors.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "heed/error.hpp"

namespace heed {
namespace {

using data::decode_safetensors;
using data::encode_safetensors;
using data::SafeTensor;
using data::SafetensorsFile;

// A file: the 8-byte little-endian length of `header`, `header`, `data`.
std::string file_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  for (int b = 0; b < 8; ++b) out[std::size_t(b)] = char((n >> (8 * b)) & 0xff);
  return out + header + data;
}

std::string float_bytes(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) {
    char b[4];
    std::memcpy(b, &v, 4);
    out.append(b, 4);
  }
  return out;
}

std::string error_of(const std::string& bytes) {
  try {
    decode_safetensors(bytes, "w.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, ReadsAFileLaidOutByHand) {
  // Two tensors, stored out of name order, with metadata.
  const std::string header = R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("a":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]},)"
                             R"("__metadata__":{"format":"pt"}})";
  double d = -2.5;
  std::string eight(8, '\0');
  std::memcpy(eight.data(), &d, 8);
  const SafetensorsFile f =
      decode_safetensors(file_bytes(header, float_bytes({1.5f, -3.0f}) + eight), "x");
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.metadata.at("format"), "pt");
  const SafeTensor& b = f.at("b", "x");
  EXPECT_EQ(b.dtype, "F32");
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(b.to_floats("x"), (std::vector<float>{1.5f, -3.0f}));
  EXPECT_EQ(f.at("a", "x").to_doubles("x"), (std::vector<double>{-2.5}));
  EXPECT_EQ(f.at("a", "x").to_floats("x"), (std::vector<float>{-2.5f}));
}

TEST(Safetensors, WritesTheLayoutTheFormatDescribes) {
  SafetensorsFile f;
  const std::vector<float> w{1, 2, 3, 4, 5, 6};
  const std::vector<double> s{0.25};
  f.tensors["w"] = SafeTensor::from_floats(w, {2, 3});
  f.tensors["s"] = SafeTensor::from_doubles(s, {});
  f.metadata["by"] = "heed";
  const std::string bytes = encode_safetensors(f);
  std::uint64_t n = 0;
  for (int b = 0; b < 8; ++b) n |= std::uint64_t(std::uint8_t(bytes[std::size_t(b)])) << (8 * b);
  EXPECT_EQ(n % 8, 0u) << "the header is padded to 8 bytes";
  ASSERT_EQ(bytes.size(), 8 + n + 6 * 4 + 8);
  const std::string header = bytes.substr(8, n);
  // Tensors in name order: s (8 bytes) first, then w.
  EXPECT_NE(header.find(R"("s":{"data_offsets":[0,8],"dtype":"F64","shape":[]})"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find(R"("w":{"data_offsets":[8,32],"dtype":"F32","shape":[2,3]})"),
            std::string::npos)
      << header;
  EXPECT_EQ(bytes.substr(8 + n + 8), float_bytes({1, 2, 3, 4, 5, 6}));
  const SafetensorsFile back = decode_safetensors(bytes, "x");
  EXPECT_EQ(back.at("w", "x").to_floats("x"), w);
  EXPECT_EQ(back.at("s", "x").to_doubles("x"), s);
  EXPECT_EQ(back.metadata, f.metadata);
}

TEST(Safetensors, ReadsPyGsFile) {
  const std::filesystem::path path =
      std::filesystem::path(HEED_TEST_FIXTURES_DIR) / "pyg-gat-cora" / "model.safetensors";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent";
  const SafetensorsFile f = data::load_safetensors(path);
  EXPECT_EQ(f.at("conv1.lin_src.weight", "x").shape, (std::vector<std::int64_t>{64, 1433}));
  EXPECT_EQ(f.at("conv1.att_src", "x").shape, (std::vector<std::int64_t>{1, 8, 8}));
  EXPECT_EQ(f.at("conv2.bias", "x").shape, (std::vector<std::int64_t>{7}));
  EXPECT_EQ(f.at("conv1.lin_src.weight", "x").to_floats("x"),
            f.at("conv1.lin_dst.weight", "x").to_floats("x"))
      << "PyG shares lin_src and lin_dst when in_channels is an int";
}

TEST(Safetensors, RejectsDamagedFiles) {
  const std::string ok_header = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data = float_bytes({1, 2});
  ASSERT_EQ(error_of(file_bytes(ok_header, data)), "");

  const std::string whole = file_bytes(ok_header, data);
  EXPECT_NE(error_of(whole.substr(0, 5)).find("too short"), std::string::npos);
  EXPECT_NE(error_of(whole.substr(0, 20)).find("truncated"), std::string::npos);
  std::string huge = whole;
  huge[7] = char(0x7f);
  EXPECT_NE(error_of(huge).find("header length"), std::string::npos);
  EXPECT_NE(error_of(file_bytes("{\"t\": [", data)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(file_bytes("[1,2]", "")).find("not a JSON object"), std::string::npos);

  struct Case {
    const char* header;
    const char* problem;
  };
  const Case cases[] = {
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})", "data_offsets[1] is 12"},
      {R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "needs 12"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", "end before they begin"},
      {R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", "non-negative integer"},
      {R"({"t":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", "unknown dtype 'Q7'"},
      {R"({"t":{"shape":[2],"data_offsets":[0,8]}})", "tensor 't' has no dtype"},
      {R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
       "more elements than can be counted"},
      {R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
       R"("u":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
       "overlaps"},
      {R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "bytes 0 to 4 of the data"},
      {R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "trailing bytes"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", "not a pair"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(file_bytes(c.header, data));
    EXPECT_NE(message.find(c.problem), std::string::npos) << c.header << " -> " << message;
    EXPECT_NE(message.find("w.safetensors"), std::string::npos) << message;
  }

  // A layout that is valid but holds integers: read, yet not converted.
  const SafetensorsFile ints = decode_safetensors(
      file_bytes(R"({"t":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", data), "x");
  try {
    ints.at("t", "x").to_floats("w.safetensors 't'");
    FAIL() << "an I64 tensor converted to floats";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dtype I64 is not supported"), std::string::npos);
  }
  EXPECT_THROW(ints.at("missing", "x"), Error);
}

}  // namespace
}  // namespace heed
