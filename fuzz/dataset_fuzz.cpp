// Any bytes as one file of an otherwise valid dataset: the first byte picks
// the file (meta.json, an edge, feature or label file, a split part, each
// compressed or not), the rest is its content. Loading must either succeed
// or throw heed::Error.
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "heed/data/dataset.hpp"
#include "heed/error.hpp"
#include "scratch_files.hpp"

namespace {

namespace fs = std::filesystem;

using heed::fuzz::write_file;

const fs::path& folder() {
  static const fs::path dir =
      fs::temp_directory_path() / ("heed-fuzz-dataset-" + std::to_string(::getpid()));
  return dir;
}

void write_valid_dataset() {
  const fs::path& d = folder();
  write_file(d / "meta.json",
             R"({"name": "f", "num_nodes": 5, "num_features": 2, "num_classes": 2})", false);
  write_file(d / "edge.csv.gz", "0,1\n1,0\n1,2\n2,3\n3,4\n4,3\n", true);
  write_file(d / "node-feat.csv.gz", "1,3\n0,0\n2,2\n0.5,1.5\n1,1\n", true);
  write_file(d / "node-label.csv.gz", "0\n1\n-1\n1\n0\n", true);
  write_file(d / "split/public/train.csv.gz", "0\n1\n", true);
  write_file(d / "split/public/valid.csv.gz", "3\n", true);
  write_file(d / "split/public/test.csv.gz", "4\n", true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* kFiles[] = {"meta.json",
                                 "edge.csv.gz",
                                 "node-feat.csv.gz",
                                 "node-label.csv.gz",
                                 "split/public/train.csv.gz",
                                 "split/public/test.csv.gz"};
  const std::size_t which = data[0] % 6;
  const bool gzip = which != 0 && (data[0] / 6) % 2 == 0;  // raw bytes test the gzip layer
  write_valid_dataset();
  write_file(folder() / kFiles[which],
             std::string(reinterpret_cast<const char*>(data) + 1, size - 1), gzip);
  try {
    heed::data::load_dataset(folder().string(), heed::data::LoadOptions{true});
  } catch (const heed::Error&) {
  }
  return 0;
}
