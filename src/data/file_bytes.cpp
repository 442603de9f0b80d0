#include "heed/data/file_bytes.hpp"

#include <fstream>
#include <sstream>

#include "heed/error.hpp"

namespace heed::data {

std::string read_file_bytes(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the " + what);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error");
  return std::move(bytes).str();
}

}  // namespace heed::data
