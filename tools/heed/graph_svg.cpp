#include "graph_svg.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "attention_picture.hpp"

namespace heed::cli {
namespace {

// White to orange-red, as the molecule pictures shade.
std::string fill(double s) {
  const auto channel = [](double v) { return int(std::lround(255 * v)); };
  return fmt::format("#{:02x}{:02x}{:02x}", 255, channel(1 - 0.65 * s), channel(1 - 0.85 * s));
}

}  // namespace

std::vector<std::array<double, 2>> force_layout(std::int64_t nodes,
                                                std::span<const std::array<std::int64_t, 2>> edges,
                                                int iterations) {
  const std::size_t n = std::size_t(nodes);
  std::vector<std::array<double, 2>> pos(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double angle = 2 * std::numbers::pi * double(i) / double(std::max<std::size_t>(n, 1));
    pos[i] = {0.5 + 0.4 * std::cos(angle), 0.5 + 0.4 * std::sin(angle)};
  }
  if (n < 2) return pos;
  const double k = std::sqrt(1.0 / double(n));
  double temperature = 0.1;
  std::vector<std::array<double, 2>> move(n);
  for (int it = 0; it < iterations; ++it) {
    std::fill(move.begin(), move.end(), std::array<double, 2>{0, 0});
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        const double dx = pos[i][0] - pos[j][0], dy = pos[i][1] - pos[j][1];
        const double d2 = std::max(dx * dx + dy * dy, 1e-9);
        const double f = k * k / d2;  // (k^2 / d) along the unit vector (dx, dy) / d
        move[i][0] += dx * f, move[i][1] += dy * f;
        move[j][0] -= dx * f, move[j][1] -= dy * f;
      }
    }
    for (const auto& [a, b] : edges) {
      const std::size_t i = std::size_t(a), j = std::size_t(b);
      const double dx = pos[i][0] - pos[j][0], dy = pos[i][1] - pos[j][1];
      const double d = std::sqrt(dx * dx + dy * dy);
      const double f = d / k;  // (d^2 / k) along the unit vector
      move[i][0] -= dx * f, move[i][1] -= dy * f;
      move[j][0] += dx * f, move[j][1] += dy * f;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double len = std::hypot(move[i][0], move[i][1]);
      if (len == 0) continue;
      const double step = std::min(len, temperature) / len;
      pos[i][0] += move[i][0] * step;
      pos[i][1] += move[i][1] * step;
    }
    temperature = std::max(0.002, temperature * 0.985);
  }
  // Fit the unit square.
  double lo[2] = {pos[0][0], pos[0][1]}, hi[2] = {pos[0][0], pos[0][1]};
  for (const auto& p : pos) {
    for (int c = 0; c < 2; ++c) lo[c] = std::min(lo[c], p[c]), hi[c] = std::max(hi[c], p[c]);
  }
  const double span = std::max({hi[0] - lo[0], hi[1] - lo[1], 1e-9});
  // Centred along the shorter side.
  for (auto& p : pos) {
    for (int c = 0; c < 2; ++c) p[c] = (p[c] - lo[c]) / span + (1 - (hi[c] - lo[c]) / span) / 2;
  }
  return pos;
}

std::string graph_svg(std::int64_t nodes, std::span<const std::array<std::int64_t, 2>> edges,
                      std::span<const double> edge_weight, std::span<const double> node_weight,
                      std::span<const std::string> labels, const std::string& title,
                      const std::string& caption) {
  constexpr double kSize = 600, kMargin = 40, kTop = 50, kRadius = 13;
  const std::vector<std::array<double, 2>> pos = force_layout(nodes, edges);
  const std::vector<double> edge_shade = shades(edge_weight), node_shade = shades(node_weight);
  const auto x = [&](std::size_t i) { return kMargin + pos[i][0] * (kSize - 2 * kMargin); };
  const auto y = [&](std::size_t i) { return kTop + pos[i][1] * (kSize - 2 * kMargin); };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"20\" font-size=\"13\">{2}</text>\n"
      "<text x=\"10\" y=\"38\" font-size=\"11\" fill=\"#555555\">{3}</text>\n",
      kSize, kSize + kTop - kMargin + 10, svg_escaped(title), svg_escaped(caption));
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const std::size_t a = std::size_t(edges[e][0]), b = std::size_t(edges[e][1]);
    const double s = edge_shade.empty() ? 0.3 : edge_shade[e];
    svg += fmt::format(
        "<line class=\"edge\" data-source=\"{}\" data-target=\"{}\" data-weight=\"{:.6g}\" "
        "x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"{:.2f}\"/>\n",
        a, b, edge_weight.empty() ? 0.0 : edge_weight[e], x(a), y(a), x(b), y(b),
        fill(0.25 + 0.75 * s), 1.5 + 6 * s);
  }
  for (std::size_t i = 0; i < std::size_t(nodes); ++i) {
    svg += fmt::format(
        "<circle class=\"node\" data-node=\"{}\" data-weight=\"{:.6g}\" cx=\"{:.1f}\" "
        "cy=\"{:.1f}\" r=\"{}\" fill=\"{}\" stroke=\"#333333\"/>\n",
        i, node_weight[i], x(i), y(i), kRadius, fill(node_shade[i]));
    const std::string label = i < labels.size() ? labels[i] : std::to_string(i);
    svg += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n", x(i),
        y(i) + 3.5, svg_escaped(label));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace heed::cli
