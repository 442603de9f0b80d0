#pragma once
// Fields of the plain-text formats heed reads (comma-separated, blanks
// around a field ignored), parsed with errors that name the file, the line
// and the column: "edge.csv.gz:12: column 2: 'x' is not an integer".
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

#include "gzip_line_reader.hpp"

namespace heed::data {

inline std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return "'" + out + "'";
}

// Calls field(column, text) for each comma-separated field of `line`.
template <class Field>
int for_each_field(std::string_view line, Field&& field) {
  int column = 0;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = line.find(',', start);
    std::string_view text =
        line.substr(start, comma == std::string_view::npos ? comma : comma - start);
    field(column++, text);
    if (comma == std::string_view::npos) return column;
    start = comma + 1;
  }
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class Number>
Number parse_number(const GzipLineReader& reader, int column, std::string_view text) {
  text = trim(text);
  Number value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    const char* kind = std::is_integral_v<Number> ? "an integer" : "a number";
    reader.fail("column " + std::to_string(column + 1) + ": " + quoted(text) + " is not " + kind);
  }
  if constexpr (std::is_floating_point_v<Number>) {
    if (!std::isfinite(value)) {
      reader.fail("column " + std::to_string(column + 1) + ": " + quoted(text) +
                  " is not a finite number");
    }
  }
  return value;
}

inline void require_columns(const GzipLineReader& reader, int found, int expected) {
  if (found != expected) {
    reader.fail("expected " + std::to_string(expected) + " column" + (expected == 1 ? "" : "s") +
                ", found " + std::to_string(found));
  }
}

}  // namespace heed::data
