#include "neighbourhood_svg.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>

namespace heed::cli {
namespace {

// Matplotlib's tab10: distinct for up to ten classes, then repeated.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char* class_colour(int c) {
  return c < 0 ? "#ffffff" : kPalette[c % 10];
}

// The mean over heads of the layer's coefficient on src -> dst, or -1.
double mean_alpha(const nn::Attention<float>& layer, NodeId src, NodeId dst) {
  const std::span<const NodeId> in = layer.graph.in().neighbours(dst);
  const EdgeId first = layer.graph.in().indptr[std::size_t(dst)];
  const std::size_t heads = layer.alpha.cols();
  for (std::size_t k = 0; k < in.size(); ++k) {
    if (in[k] != src) continue;
    double sum = 0;
    for (std::size_t h = 0; h < heads; ++h) sum += layer.alpha(std::size_t(first) + k, h);
    return sum / double(heads);
  }
  return -1;
}

}  // namespace

Neighbourhood collect_neighbourhood(NodeId node, int hops,
                                    const std::vector<nn::Attention<float>>& att,
                                    const std::vector<int>& predicted,
                                    const std::vector<std::int32_t>& truth, int max_per_hop) {
  Neighbourhood n;
  const int layers = int(att.size());
  n.last_layer = layers - 1;
  hops = std::min(hops, layers);
  auto add_node = [&](NodeId id, int hop) {
    n.nodes.push_back({id, hop, predicted[std::size_t(id)], truth[std::size_t(id)]});
  };
  add_node(node, 0);
  n.self_alpha = std::max(0.0, mean_alpha(att.back(), node, node));
  std::set<NodeId> seen{node};
  std::vector<NodeId> frontier{node};
  for (int hop = 1; hop <= hops; ++hop) {
    const int layer = layers - hop;
    const Graph& g = att[std::size_t(layer)].graph;
    // The strongest edge into the frontier from each new node.
    std::map<NodeId, double> strength;
    for (NodeId dst : frontier) {
      for (NodeId src : g.in().neighbours(dst)) {
        if (seen.count(src)) continue;
        const double a = mean_alpha(att[std::size_t(layer)], src, dst);
        strength[src] = std::max(strength[src], a);
      }
    }
    std::vector<std::pair<double, NodeId>> order;
    for (auto [id, a] : strength) order.emplace_back(-a, id);
    std::sort(order.begin(), order.end());
    if (int(order.size()) > max_per_hop) {
      n.omitted += int(order.size()) - max_per_hop;
      order.resize(std::size_t(max_per_hop));
    }
    std::vector<NodeId> next;
    for (auto [neg, id] : order) {
      add_node(id, hop);
      next.push_back(id);
    }
    for (NodeId id : next) seen.insert(id);
    frontier = std::move(next);
  }
  // Every drawn edge between drawn nodes, with the coefficient of the layer
  // that carries messages into its destination's hop.
  std::map<NodeId, int> hop_of;
  for (const NeighbourhoodNode& v : n.nodes) hop_of[v.id] = v.hop;
  for (const NeighbourhoodNode& v : n.nodes) {
    const int layer = layers - 1 - v.hop;
    if (v.hop >= hops || layer < 0) continue;
    const Graph& g = att[std::size_t(layer)].graph;
    for (NodeId src : g.in().neighbours(v.id)) {
      if (src == v.id || !hop_of.count(src) || hop_of[src] < v.hop) continue;
      n.edges.push_back({src, v.id, mean_alpha(att[std::size_t(layer)], src, v.id), layer});
    }
  }
  return n;
}

std::string neighbourhood_svg(const Neighbourhood& n, const std::string& title) {
  constexpr double kSize = 1000, kCentre = 500;
  // A radial tree: each node hangs from the node one hop in that it sends its
  // strongest edge to, takes a share of the circle in proportion to the
  // leaves below it, and sits in the middle of its share, on its hop's ring.
  int max_hop = 0;
  std::map<NodeId, int> hop_of;
  for (const NeighbourhoodNode& v : n.nodes) {
    max_hop = std::max(max_hop, v.hop);
    hop_of[v.id] = v.hop;
  }
  std::map<int, int> per_hop;
  for (const NeighbourhoodNode& v : n.nodes) ++per_hop[v.hop];
  std::map<NodeId, std::vector<NodeId>> children;
  for (const NeighbourhoodNode& v : n.nodes) {
    if (v.hop == 0) continue;
    NodeId parent = n.nodes.front().id;
    double best = -2;
    for (const NeighbourhoodEdge& e : n.edges) {
      if (e.src == v.id && hop_of[e.dst] == v.hop - 1 && e.alpha > best) {
        best = e.alpha;
        parent = e.dst;
      }
    }
    children[parent].push_back(v.id);
  }
  std::map<NodeId, double> leaves;
  for (int hop = max_hop; hop >= 0; --hop) {
    for (const NeighbourhoodNode& v : n.nodes) {
      if (v.hop != hop) continue;
      double w = 0;
      for (NodeId c : children[v.id]) w += leaves[c];
      leaves[v.id] = std::max(1.0, w);
    }
  }
  const double ring = max_hop > 0 ? 420.0 / max_hop : 0.0;
  std::map<NodeId, std::pair<double, double>> at;
  // (node, start angle, share of the circle), placed from the centre out.
  std::vector<std::tuple<NodeId, double, double>> todo{
      {n.nodes.front().id, 0.0, 2 * std::numbers::pi}};
  while (!todo.empty()) {
    const auto [id, start, share] = todo.back();
    todo.pop_back();
    const int hop = hop_of[id];
    const double a = start + share / 2, r = hop * ring;
    at[id] = {kCentre + r * std::cos(a), kCentre + r * std::sin(a)};
    double from = start;
    for (NodeId c : children[id]) {
      const double part = share * leaves[c] / leaves[id];
      todo.emplace_back(c, from, part);
      from += part;
    }
  }

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"20\" y=\"30\" font-size=\"20\">{2}</text>\n",
      kSize, kSize + 80, title);
  // Strong edges last, so they lie on top.
  std::vector<NeighbourhoodEdge> edges = n.edges;
  std::sort(edges.begin(), edges.end(),
            [](const auto& a, const auto& b) { return a.alpha < b.alpha; });
  for (const NeighbourhoodEdge& e : edges) {
    const auto [x1, y1] = at[e.src];
    const auto [x2, y2] = at[e.dst];
    const bool last = e.layer == n.last_layer;
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"{:.2f}\" stroke-opacity=\"{:.2f}\"/>\n",
        x1, y1, x2, y2, last ? "#203060" : "#808080", 0.5 + 14.0 * e.alpha,
        0.3 + 0.7 * std::min(1.0, e.alpha * 2));
    if (last && per_hop[1] <= 24) {
      svg += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" fill=\"#203060\">{:.2f}</text>\n",
          0.55 * x1 + 0.45 * x2, 0.55 * y1 + 0.45 * y2 - 4, e.alpha);
    }
  }
  for (const NeighbourhoodNode& v : n.nodes) {
    const auto [x, y] = at[v.id];
    // Smaller discs where a ring is crowded, so they do not overlap.
    const double room =
        v.hop == 0
            ? 22.0
            : 0.4 * 2 * std::numbers::pi * v.hop * ring / double(std::max(1, per_hop[v.hop])) - 5;
    const double r = std::clamp(room, 3.0, v.hop == 0 ? 22.0 : v.hop == 1 ? 13.0 : 8.0);
    const bool wrong = v.truth >= 0 && v.truth != v.predicted;
    // An outer ring in the true class's colour around a disc in the
    // predicted one; a wrong prediction also gets a red dashed halo.
    if (wrong) {
      svg += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"none\" stroke=\"#e00000\" "
          "stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\n",
          x, y, r + 8);
    }
    svg += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\" stroke=\"#404040\" "
        "stroke-width=\"0.8\"/>\n"
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\" stroke=\"white\" "
        "stroke-width=\"1.5\"/>\n",
        x, y, r + 5, class_colour(v.truth), x, y, r, class_colour(v.predicted));
    if (v.hop == 0 || (v.hop == 1 && per_hop[1] <= 40)) {
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{}\">{}</text>\n", x + r + 3,
                         y - r, v.hop == 0 ? 18 : 12, v.id);
    }
  }
  const auto [cx, cy] = at[n.nodes.front().id];
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\">self {:.2f}</text>\n",
                     cx - 28, cy + 40, n.self_alpha);

  // Legend: the classes that appear, and how to read the marks.
  std::set<int> classes;
  for (const NeighbourhoodNode& v : n.nodes) {
    classes.insert(v.predicted);
    if (v.truth >= 0) classes.insert(v.truth);
  }
  double lx = 20;
  const double ly = kSize + 20;
  for (int c : classes) {
    svg += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"8\" fill=\"{}\"/><text x=\"{:.1f}\" "
        "y=\"{:.1f}\" font-size=\"14\">class {}</text>\n",
        lx + 8, ly, class_colour(c), lx + 20, ly + 5, c);
    lx += 85;
  }
  svg += fmt::format(
      "<text x=\"20\" y=\"{:.1f}\" font-size=\"13\">fill: predicted class; ring: true class "
      "(red halo: wrong). Edge width: attention (mean over heads); dark: layer {}, grey: "
      "layer {}.</text>\n<text x=\"20\" y=\"{:.1f}\" font-size=\"13\">{}</text>\n",
      ly + 28, n.last_layer, n.last_layer - 1, ly + 46,
      n.omitted > 0 ? fmt::format("{} less attended nodes not drawn.", n.omitted) : "");
  svg += "</svg>\n";
  return svg;
}

}  // namespace heed::cli
