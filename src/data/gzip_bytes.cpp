#include "heed/data/gzip_bytes.hpp"

#include <zlib.h>

#include "heed/error.hpp"

namespace heed::data {

std::string gzip_bytes(std::string_view text) {
  // magic, deflate, no flags, mtime 0, "maximum compression", OS unknown
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff", 10);
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error("gzip: zlib could not start a deflate stream");
  }
  const std::size_t header = out.size();
  out.resize(header + deflateBound(&z, uLong(text.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = uInt(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data() + header);
  z.avail_out = uInt(out.size() - header);
  const int status = deflate(&z, Z_FINISH);
  out.resize(header + z.total_out);
  deflateEnd(&z);
  if (status != Z_STREAM_END) throw Error("gzip: zlib could not compress the data");
  auto put32 = [&](uLong v) {
    for (int k = 0; k < 4; ++k) out += char((v >> (8 * k)) & 0xFF);
  };
  put32(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(text.data()), uInt(text.size())));
  put32(uLong(text.size() & 0xFFFFFFFFu));
  return out;
}

}  // namespace heed::data
