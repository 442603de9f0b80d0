#include "gzip_line_reader.hpp"

#include <cerrno>
#include <cstring>

#include "heed/error.hpp"

namespace heed::data {

GzipLineReader::GzipLineReader(const std::filesystem::path& path) : path_(path), buffer_(1 << 18) {
  errno = 0;
  file_ = gzopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw Error(path.string() +
                ": cannot open: " + (errno ? std::strerror(errno) : "out of memory"));
  }
  gzbuffer(file_, 1 << 18);
}

GzipLineReader::~GzipLineReader() {
  if (file_) gzclose(file_);
}

std::string GzipLineReader::where() const {
  return path_.string() + ":" + std::to_string(line_);
}

void GzipLineReader::fail(const std::string& problem) const {
  throw Error(where() + ": " + problem);
}

bool GzipLineReader::fill() {
  if (eof_) return false;
  int n = gzread(file_, buffer_.data(), unsigned(buffer_.size()));
  // gzread reports a stream cut short (Z_BUF_ERROR) not by returning -1 but
  // only through gzerror, once the data before the cut has been read.
  int code = Z_OK;
  const char* msg = gzerror(file_, &code);
  if (n < 0 || (n == 0 && code != Z_OK)) {
    throw Error(path_.string() + ":" + std::to_string(line_ + 1) +
                ": corrupt or truncated gzip data (" + (msg && *msg ? msg : "unknown zlib error") +
                ")");
  }
  if (n == 0) {
    eof_ = true;
    return false;
  }
  begin_ = 0;
  end_ = std::size_t(n);
  return true;
}

bool GzipLineReader::next(std::string_view& line) {
  carry_.clear();
  for (;;) {
    if (begin_ == end_ && !fill()) {
      if (carry_.empty()) return false;
      ++line_;
      line = carry_;
      return true;
    }
    const char* start = buffer_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl != nullptr) {
      std::size_t len = std::size_t(static_cast<const char*>(nl) - start);
      begin_ += len + 1;
      ++line_;
      if (carry_.empty()) {
        line = std::string_view(start, len);
      } else {
        carry_.append(start, len);
        line = carry_;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return true;
    }
    carry_.append(start, end_ - begin_);
    begin_ = end_;
  }
}

}  // namespace heed::data
