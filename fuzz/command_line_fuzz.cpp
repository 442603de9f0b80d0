// Any bytes as a command line (arguments separated by NUL bytes): parsing
// must either succeed or throw CLI11's parse errors. Nothing is run.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "heed/error.hpp"
#include "heed_app.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"heed"};
  std::string current;
  for (std::size_t k = 0; k < size; ++k) {
    if (data[k] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(char(data[k]));
    }
  }
  if (!current.empty()) args.push_back(current);
  if (args.size() > 64) return 0;
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  heed::cli::HeedApp heed;
  try {
    heed.parse(int(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
  } catch (const heed::Error&) {
  }
  return 0;
}
