#pragma once
// gzip members that are the same bytes on every machine: no file name, mtime
// 0, deflate at level 9 with zlib's default window and memory, and "unknown"
// for the OS. Python's gzip module writes the same deflate stream, so files
// written here match the shared datasets' checksums byte for byte.
#include <string>
#include <string_view>

namespace heed::data {

/// `text` as one gzip member.
std::string gzip_bytes(std::string_view text);

}  // namespace heed::data
