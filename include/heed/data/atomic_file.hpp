#pragma once
// Files heed writes appear whole or not at all: the bytes go to a temporary
// file in the same folder, which is flushed to disk and renamed over the
// target only once complete. A crash or an error part-way leaves whatever was
// at the target before untouched.
#include <cstdio>
#include <filesystem>
#include <string_view>

namespace heed::data {

class AtomicFile {
 public:
  /// Creates the temporary file next to `path`; heed::Error naming the
  /// folder if it cannot.
  explicit AtomicFile(std::filesystem::path path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();

  /// Appends bytes; heed::Error naming the file if the write fails (disk full).
  void write(std::string_view bytes);
  /// Flushes, syncs and renames the temporary file over the target.
  void commit();

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

/// The whole of `bytes` written to `path` through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace heed::data
