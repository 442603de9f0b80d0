#pragma once
// The fuzz targets write each input into an otherwise valid dataset folder
// and read it back with heed's readers.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace heed::fuzz {

/// Writes `text` to `path` (its folders created), gzip-compressed if asked.
inline void write_file(const std::filesystem::path& path, const std::string& text,
                       bool gzip = false) {
  std::filesystem::create_directories(path.parent_path());
  if (!gzip) {
    std::ofstream(path, std::ios::binary) << text;
    return;
  }
  gzFile f = gzopen(path.c_str(), "wb");
  if (text.size()) gzwrite(f, text.data(), unsigned(text.size()));
  gzclose(f);
}

}  // namespace heed::fuzz
