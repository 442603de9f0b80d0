#pragma once
// Graphs in compressed sparse row form, indexed by destination: row i of `in`
// lists the sources j of the edges j -> i (the in-neighbours that i attends
// to). The transpose `out`, indexed by source, is built once with the graph so
// that backward passes can sum over a source's out-edges without atomics.
// An edge's id is its position in `in`.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace heed {

using NodeId = std::int32_t;
using EdgeId = std::int64_t;

/// Compressed sparse rows: the neighbours of row r are
/// indices[indptr[r] .. indptr[r + 1]).
struct Csr {
  std::vector<EdgeId> indptr;   // rows + 1 entries, indptr[0] = 0
  std::vector<NodeId> indices;  // one entry per edge

  std::int64_t rows() const { return indptr.empty() ? 0 : std::int64_t(indptr.size()) - 1; }
  EdgeId nnz() const { return EdgeId(indices.size()); }
  std::span<const NodeId> neighbours(std::int64_t r) const {
    return {indices.data() + indptr[r], std::size_t(indptr[r + 1] - indptr[r])};
  }
};

/// Directed edges as two parallel arrays, in any order.
struct EdgeList {
  std::vector<NodeId> src;
  std::vector<NodeId> dst;

  std::size_t size() const { return src.size(); }
  void add(NodeId s, NodeId d) {
    src.push_back(s);
    dst.push_back(d);
  }
};

/// What to do to an edge list while building a graph from it.
struct GraphOptions {
  bool symmetrise = false;         // add j -> i for every i -> j
  bool remove_duplicates = true;   // keep one copy of each (src, dst)
  bool remove_self_loops = false;  // drop every i -> i
  bool add_self_loops = false;     // ensure exactly one i -> i per node (implies removal first)
};

class Graph {
 public:
  Graph() = default;
  /// Builds both CSRs. Throws heed::Error naming the edge if an id is outside
  /// [0, num_nodes).
  Graph(std::int64_t num_nodes, const EdgeList& edges, const GraphOptions& options = {});

  /// A graph from its in-CSR as given (edge ids are its positions, rows in
  /// any order), with no sort: a batch of graphs is built this way from
  /// slices of others. Throws heed::Error if indptr does not run from 0 to
  /// the number of indices without decreasing, or an index is outside
  /// [0, num_nodes).
  static Graph from_in_csr(std::int64_t num_nodes, Csr in);

  std::int64_t num_nodes() const { return num_nodes_; }
  EdgeId num_edges() const { return in_.nnz(); }

  /// In-neighbours: row i holds the sources of the edges into i (edge ids are positions).
  const Csr& in() const { return in_; }
  /// Out-neighbours: row j holds the destinations of the edges out of j.
  const Csr& out() const { return out_; }
  /// For each position in out(), the id of the same edge in in().
  std::span<const EdgeId> out_edge_ids() const { return out_edge_ids_; }

  /// A 64-bit hash of the node count and the in-CSR, taken when the graph
  /// is built: caches keyed on a graph compare it, because a graph built
  /// where a freed one was can get the old one's address and buffers.
  std::uint64_t fingerprint() const { return fingerprint_; }
  /// True if every node has at least one self loop.
  bool has_self_loop_everywhere() const { return self_loop_everywhere_; }
  /// A copy with existing self loops replaced by exactly one per node.
  Graph with_self_loops() const;
  /// Edges in in-CSR order (edge id e is entry e).
  EdgeList edge_list() const;
  /// Source node of every edge, by edge id (the in-CSR's indices).
  std::span<const NodeId> edge_src() const { return in_.indices; }
  /// Destination node of every edge, by edge id.
  std::vector<NodeId> edge_dst() const;

 private:
  // The out-CSR and the self-loop flag, from the in-CSR.
  void build_transpose();

  std::int64_t num_nodes_ = 0;
  Csr in_;
  Csr out_;
  std::vector<EdgeId> out_edge_ids_;
  bool self_loop_everywhere_ = false;
  std::uint64_t fingerprint_ = 0;
};

/// The adjacency as a dense N x N byte matrix, row-major: entry (i, j) is 1
/// when j -> i is an edge (i attends to j), else 0. A transformer's
/// attention mask; N^2 bytes, so for graphs that dense attention can hold.
std::vector<std::uint8_t> dense_adjacency(const Graph& graph);

/// Splits rows [0, rows) into `parts` contiguous ranges with about the same
/// number of edges each (plus one unit per row, so empty rows still cost
/// something). Returns parts + 1 boundaries. Power-law graphs need this:
/// splitting by node count would give one thread the hubs.
std::vector<std::int64_t> partition_rows_by_edges(std::span<const EdgeId> indptr, int parts);

}  // namespace heed
