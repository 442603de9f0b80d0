#include "heed/graph/graph.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "heed/error.hpp"

namespace heed {
namespace {

// Counting sort of edges by key (dst for the in-CSR, src for the out-CSR);
// stable, so within a row the order of `other` is kept.
Csr build_csr(std::int64_t rows, std::span<const NodeId> key, std::span<const NodeId> other,
              std::vector<EdgeId>* order) {
  Csr csr;
  csr.indptr.assign(std::size_t(rows) + 1, 0);
  for (NodeId k : key) ++csr.indptr[std::size_t(k) + 1];
  std::partial_sum(csr.indptr.begin(), csr.indptr.end(), csr.indptr.begin());
  csr.indices.resize(key.size());
  if (order) order->resize(key.size());
  std::vector<EdgeId> next(csr.indptr.begin(), csr.indptr.end() - 1);
  for (std::size_t e = 0; e < key.size(); ++e) {
    EdgeId pos = next[std::size_t(key[e])]++;
    csr.indices[std::size_t(pos)] = other[e];
    if (order) (*order)[std::size_t(pos)] = EdgeId(e);
  }
  return csr;
}

}  // namespace

Graph::Graph(std::int64_t num_nodes, const EdgeList& edges, const GraphOptions& options)
    : num_nodes_(num_nodes) {
  if (num_nodes < 0) throw Error("graph: negative node count " + std::to_string(num_nodes));
  if (num_nodes > std::int64_t(INT32_MAX)) {
    throw Error("graph: " + std::to_string(num_nodes) + " nodes exceed the 32-bit node id range");
  }
  if (edges.src.size() != edges.dst.size()) throw Error("graph: src and dst differ in length");
  for (std::size_t e = 0; e < edges.size(); ++e) {
    NodeId s = edges.src[e], d = edges.dst[e];
    if (s < 0 || s >= num_nodes || d < 0 || d >= num_nodes) {
      throw Error("graph: edge " + std::to_string(e) + " (" + std::to_string(s) + " -> " +
                  std::to_string(d) + ") has a node id outside [0, " + std::to_string(num_nodes) +
                  ")");
    }
  }

  std::vector<NodeId> src, dst;
  std::size_t reserve = edges.size() * (options.symmetrise ? 2 : 1) +
                        (options.add_self_loops ? std::size_t(num_nodes) : 0);
  src.reserve(reserve);
  dst.reserve(reserve);
  bool drop_loops = options.remove_self_loops || options.add_self_loops;
  auto push = [&](NodeId s, NodeId d) {
    if (drop_loops && s == d) return;
    src.push_back(s);
    dst.push_back(d);
  };
  for (std::size_t e = 0; e < edges.size(); ++e) {
    push(edges.src[e], edges.dst[e]);
    if (options.symmetrise) push(edges.dst[e], edges.src[e]);
  }
  if (options.add_self_loops) {
    for (NodeId i = 0; i < NodeId(num_nodes); ++i) {
      src.push_back(i);
      dst.push_back(i);
    }
  }

  // Sort by (dst, src): a counting sort by src, then a stable one by dst.
  std::vector<EdgeId> by_src;
  Csr tmp = build_csr(num_nodes, src, dst, &by_src);
  std::vector<NodeId> s_sorted(src.size()), d_sorted(src.size());
  for (std::size_t p = 0; p < by_src.size(); ++p) {
    s_sorted[p] = src[std::size_t(by_src[p])];
    d_sorted[p] = dst[std::size_t(by_src[p])];
  }
  in_ = build_csr(num_nodes, d_sorted, s_sorted, nullptr);

  if (options.remove_duplicates) {
    // Rows are sorted by source, so duplicates are adjacent.
    std::size_t w = 0;
    std::vector<EdgeId> indptr(in_.indptr.size(), 0);
    for (std::int64_t r = 0; r < num_nodes; ++r) {
      EdgeId begin = in_.indptr[std::size_t(r)], end = in_.indptr[std::size_t(r) + 1];
      for (EdgeId p = begin; p < end; ++p) {
        if (p > begin && in_.indices[std::size_t(p)] == in_.indices[std::size_t(p - 1)]) continue;
        in_.indices[w++] = in_.indices[std::size_t(p)];
      }
      indptr[std::size_t(r) + 1] = EdgeId(w);
    }
    in_.indices.resize(w);
    in_.indptr = std::move(indptr);
  }

  build_transpose();
}

Graph Graph::from_in_csr(std::int64_t num_nodes, Csr in) {
  if (num_nodes < 0 || num_nodes > std::int64_t(INT32_MAX)) {
    throw Error("graph: node count " + std::to_string(num_nodes) +
                " is outside the 32-bit node id range");
  }
  if (std::int64_t(in.indptr.size()) != num_nodes + 1 || in.indptr.front() != 0 ||
      in.indptr.back() != EdgeId(in.indices.size())) {
    throw Error("graph: a CSR of " + std::to_string(num_nodes) + " rows needs " +
                std::to_string(num_nodes + 1) + " row offsets from 0 to its " +
                std::to_string(in.indices.size()) + " indices");
  }
  for (std::int64_t r = 0; r < num_nodes; ++r) {
    if (in.indptr[std::size_t(r) + 1] < in.indptr[std::size_t(r)]) {
      throw Error("graph: CSR row offset " + std::to_string(r + 1) + " is below offset " +
                  std::to_string(r));
    }
  }
  for (std::size_t e = 0; e < in.indices.size(); ++e) {
    if (in.indices[e] < 0 || in.indices[e] >= num_nodes) {
      throw Error("graph: edge " + std::to_string(e) + " has source " +
                  std::to_string(in.indices[e]) + ", outside [0, " + std::to_string(num_nodes) +
                  ")");
    }
  }
  Graph graph;
  graph.num_nodes_ = num_nodes;
  graph.in_ = std::move(in);
  graph.build_transpose();
  return graph;
}

void Graph::build_transpose() {
  std::vector<NodeId> in_dst = edge_dst();
  out_ = build_csr(num_nodes_, in_.indices, in_dst, &out_edge_ids_);

  std::vector<char> has_loop(std::size_t(num_nodes_), 0);
  for (std::int64_t i = 0; i < num_nodes_; ++i) {
    for (NodeId j : in_.neighbours(i)) {
      if (j == i) has_loop[std::size_t(i)] = 1;
    }
  }
  self_loop_everywhere_ = std::all_of(has_loop.begin(), has_loop.end(), [](char c) { return c; });

  // FNV-style: one multiply per value, enough to tell accidental look-alikes
  // apart (this is not a defence against crafted collisions).
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t h = 0xcbf29ce484222325ULL ^ std::uint64_t(num_nodes_);
  for (EdgeId p : in_.indptr) h = (h ^ std::uint64_t(p)) * kPrime;
  for (NodeId j : in_.indices) h = (h ^ std::uint32_t(j)) * kPrime;
  fingerprint_ = h;
}

Graph Graph::with_self_loops() const {
  GraphOptions options;
  options.add_self_loops = true;
  options.remove_duplicates = false;
  return Graph(num_nodes_, edge_list(), options);
}

EdgeList Graph::edge_list() const {
  EdgeList list;
  list.src = in_.indices;
  list.dst = edge_dst();
  return list;
}

std::vector<NodeId> Graph::edge_dst() const {
  std::vector<NodeId> dst(in_.indices.size());
  for (std::int64_t i = 0; i < num_nodes_; ++i) {
    std::fill(dst.begin() + in_.indptr[std::size_t(i)],
              dst.begin() + in_.indptr[std::size_t(i) + 1], NodeId(i));
  }
  return dst;
}

std::vector<std::int64_t> partition_rows_by_edges(std::span<const EdgeId> indptr, int parts) {
  if (parts < 1) parts = 1;
  std::int64_t rows = indptr.empty() ? 0 : std::int64_t(indptr.size()) - 1;
  std::vector<std::int64_t> bounds(std::size_t(parts) + 1, rows);
  bounds[0] = 0;
  // Cost of rows [0, r) is indptr[r] + r, increasing in r: binary search.
  double total = rows == 0 ? 0.0 : double(indptr[std::size_t(rows)] + rows);
  for (int p = 1; p < parts; ++p) {
    const double target = total * p / parts;
    std::int64_t lo = bounds[std::size_t(p) - 1], hi = rows;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (double(indptr[std::size_t(mid)] + mid) < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    bounds[std::size_t(p)] = lo;
  }
  return bounds;
}

std::vector<std::uint8_t> dense_adjacency(const Graph& graph) {
  const std::size_t n = std::size_t(graph.num_nodes());
  std::vector<std::uint8_t> mask(n * n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (NodeId j : graph.in().neighbours(std::int64_t(i))) mask[i * n + std::size_t(j)] = 1;
  }
  return mask;
}

}  // namespace heed
