#include "attention_picture.hpp"

#include <algorithm>

namespace heed::cli {

std::string svg_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> shades(std::span<const double> weights) {
  const double top = weights.empty() ? 0.0 : *std::max_element(weights.begin(), weights.end());
  std::vector<double> s(weights.size(), 0.0);
  if (top > 0) {
    for (std::size_t k = 0; k < weights.size(); ++k) s[k] = std::clamp(weights[k] / top, 0.0, 1.0);
  }
  return s;
}

}  // namespace heed::cli
