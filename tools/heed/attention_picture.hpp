#pragma once
// What heed's attention pictures (graph_svg, molecule_svg) share: text made
// safe for SVG, and attention weights as shades relative to the largest.
#include <span>
#include <string>
#include <vector>

namespace heed::cli {

/// `text` with <, >, & and " escaped for SVG text and attributes.
std::string svg_escaped(const std::string& text);

/// Each weight over the largest, clamped to [0, 1]; all 0 if the largest is
/// not above 0.
std::vector<double> shades(std::span<const double> weights);

}  // namespace heed::cli
