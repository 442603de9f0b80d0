#include "heed/graph/wl_refinement.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "heed/error.hpp"

namespace heed {
namespace {

// One round: a node's signature is its colour and its in-neighbours'
// colours, sorted; equal signatures get equal new colours, numbered by first
// appearance. Returns the number of colours.
std::int64_t refine(const Graph& g, std::vector<std::int64_t>& colour) {
  const Csr& in = g.in();
  std::map<std::vector<std::int64_t>, std::int64_t> names;
  std::vector<std::int64_t> next(colour.size());
  std::vector<std::int64_t> signature;
  for (NodeId i = 0; i < g.num_nodes(); ++i) {
    signature.assign(1, colour[std::size_t(i)]);
    for (EdgeId k = in.indptr[std::size_t(i)]; k < in.indptr[std::size_t(i) + 1]; ++k) {
      signature.push_back(colour[std::size_t(in.indices[std::size_t(k)])]);
    }
    std::sort(signature.begin() + 1, signature.end());
    const auto [it, added] = names.emplace(signature, std::int64_t(names.size()));
    next[std::size_t(i)] = it->second;
  }
  colour = std::move(next);
  return std::int64_t(names.size());
}

std::int64_t count_colours(const std::vector<std::int64_t>& colour) {
  std::vector<std::int64_t> sorted = colour;
  std::sort(sorted.begin(), sorted.end());
  return std::int64_t(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
}

}  // namespace

std::vector<std::int64_t> wl_colours(const Graph& graph, const std::vector<std::int64_t>& initial) {
  if (!initial.empty() && std::int64_t(initial.size()) != graph.num_nodes()) {
    throw Error("WL refinement: " + std::to_string(initial.size()) + " initial colours for " +
                std::to_string(graph.num_nodes()) + " nodes");
  }
  std::vector<std::int64_t> colour =
      initial.empty() ? std::vector<std::int64_t>(std::size_t(graph.num_nodes()), 0) : initial;
  // Refinement only splits classes: once a round adds none, it is stable.
  std::int64_t classes = count_colours(colour);
  for (std::int64_t round = 0; round < graph.num_nodes(); ++round) {
    const std::int64_t after = refine(graph, colour);
    if (after == classes) break;
    classes = after;
  }
  return colour;
}

bool wl_indistinguishable(const Graph& a, const Graph& b) {
  if (a.num_nodes() != b.num_nodes()) return false;
  // The disjoint union, b's nodes after a's.
  EdgeList e;
  for (const Graph* g : {&a, &b}) {
    const NodeId offset = g == &a ? 0 : NodeId(a.num_nodes());
    const Csr& in = g->in();
    for (NodeId i = 0; i < g->num_nodes(); ++i) {
      for (EdgeId k = in.indptr[std::size_t(i)]; k < in.indptr[std::size_t(i) + 1]; ++k) {
        e.add(offset + in.indices[std::size_t(k)], offset + i);
      }
    }
  }
  const Graph both(a.num_nodes() + b.num_nodes(), e);
  std::vector<std::int64_t> colour(std::size_t(both.num_nodes()), 0);
  auto same_histograms = [&] {
    std::map<std::int64_t, std::int64_t> count;
    for (NodeId i = 0; i < both.num_nodes(); ++i) {
      count[colour[std::size_t(i)]] += i < a.num_nodes() ? 1 : -1;
    }
    return std::all_of(count.begin(), count.end(), [](const auto& c) { return c.second == 0; });
  };
  std::int64_t classes = 1;
  for (std::int64_t round = 0; round <= both.num_nodes(); ++round) {
    if (!same_histograms()) return false;
    const std::int64_t after = refine(both, colour);
    if (after == classes) return same_histograms();
    classes = after;
  }
  return same_histograms();
}

}  // namespace heed
