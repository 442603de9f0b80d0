#pragma once
// Reads a gzip (or plain) text file line by line through zlib, keeping the
// line number so every parse error can say "file:line: problem".
#include <zlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace heed::data {

class GzipLineReader {
 public:
  /// Throws heed::Error naming the file if it cannot be opened.
  explicit GzipLineReader(const std::filesystem::path& path);
  ~GzipLineReader();
  GzipLineReader(const GzipLineReader&) = delete;
  GzipLineReader& operator=(const GzipLineReader&) = delete;

  /// The next line without its end-of-line; false at the end of the file.
  /// Throws heed::Error on a corrupt or truncated stream.
  bool next(std::string_view& line);
  long line_number() const { return line_; }
  /// "path:line", for error messages.
  std::string where() const;
  [[noreturn]] void fail(const std::string& problem) const;

 private:
  bool fill();

  std::filesystem::path path_;
  gzFile file_ = nullptr;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  long line_ = 0;
  std::string carry_;
};

}  // namespace heed::data
