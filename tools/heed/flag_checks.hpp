#pragma once
// Flag validators whose messages read well: CLI11's own PositiveNumber and
// NonNegativeNumber print the largest double as the upper bound.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <string>

namespace heed::cli {

namespace detail {
// The flag's value as a finite number, or nothing.
inline bool parse_finite(const std::string& text, double& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && std::isfinite(value);
}
}  // namespace detail

/// A finite number > 0.
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!detail::parse_finite(text, v) || !(v > 0)) {
          return "must be a number greater than 0, got '" + text + "'";
        }
        return {};
      },
      "POSITIVE");
}

/// A finite number >= 0.
inline CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!detail::parse_finite(text, v) || !(v >= 0)) {
          return "must be a number of at least 0, got '" + text + "'";
        }
        return {};
      },
      "NONNEGATIVE");
}

}  // namespace heed::cli
