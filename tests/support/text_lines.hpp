#pragma once
// Reading the text files tests compare against: lines of a plain or gzipped
// file, and the numbers of a CSV line.
#include <zlib.h>

#include <array>
#include <sstream>
#include <string>
#include <vector>

namespace heed::testing {

/// The file's lines without their newlines (gzip or plain: zlib reads both);
/// empty if it cannot be opened.
inline std::vector<std::string> text_lines(const std::string& path) {
  std::vector<std::string> lines;
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return lines;
  std::string line;
  std::array<char, 1 << 16> buffer{};
  while (gzgets(f, buffer.data(), int(buffer.size()))) {
    line += buffer.data();
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      lines.push_back(line);
      line.clear();
    }
  }
  if (!line.empty()) lines.push_back(line);
  gzclose(f);
  return lines;
}

/// The comma-separated numbers of a line.
inline std::vector<double> csv_numbers(const std::string& line) {
  std::vector<double> out;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) out.push_back(std::stod(cell));
  return out;
}

}  // namespace heed::testing
