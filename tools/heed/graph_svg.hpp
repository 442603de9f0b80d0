#pragma once
// A graph without coordinates (a TUDataset's) drawn as SVG: a
// force-directed layout, edges as wide and dark as their weight, nodes
// filled by theirs. What `heed explain --graph` draws when the graph is not
// a molecule RDKit can depict.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace heed::cli {

/// Fruchterman and Reingold's spring layout in the unit square: neighbours
/// attract (d^2 / k), every pair repels (k^2 / d), with a cooling step.
/// Starts from a circle, so the same graph always gets the same picture.
std::vector<std::array<double, 2>> force_layout(std::int64_t nodes,
                                                std::span<const std::array<std::int64_t, 2>> edges,
                                                int iterations = 300);

/// One <line class="edge"> per edge and one <circle class="node"> per node,
/// each with its weight in data-weight; shades are weight / max weight.
/// `labels` (may be empty) are written inside the nodes.
std::string graph_svg(std::int64_t nodes, std::span<const std::array<std::int64_t, 2>> edges,
                      std::span<const double> edge_weight, std::span<const double> node_weight,
                      std::span<const std::string> labels, const std::string& title,
                      const std::string& caption);

}  // namespace heed::cli
