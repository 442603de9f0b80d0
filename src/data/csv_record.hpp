#pragma once
// RFC 4180 records, one a line (the CSV files heed reads never break a
// record across lines): "a, b" is one field; "" inside quotes is one quote.
#include <string>
#include <string_view>
#include <vector>

#include "gzip_line_reader.hpp"

namespace heed::data {

// The fields of the record on `line`; reader.fail if a quote is not closed.
inline std::vector<std::string> csv_fields(const GzipLineReader& reader, std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string> fields(1);
  bool in_quotes = false;
  for (std::size_t k = 0; k < line.size(); ++k) {
    const char c = line[k];
    if (in_quotes) {
      if (c == '"' && k + 1 < line.size() && line[k + 1] == '"') {
        fields.back() += '"';
        ++k;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (in_quotes) reader.fail("a quoted field is not closed on its line");
  return fields;
}

}  // namespace heed::data
