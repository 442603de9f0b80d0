#include "heed/graph/graph.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "heed/error.hpp"

namespace heed {
namespace {

using EdgeSet = std::set<std::pair<NodeId, NodeId>>;  // (src, dst)

EdgeSet edges_of(const Graph& g) {
  EdgeSet s;
  const EdgeList list = g.edge_list();
  for (std::size_t e = 0; e < list.size(); ++e) s.emplace(list.src[e], list.dst[e]);
  return s;
}

EdgeList sample_edges() {
  EdgeList e;
  e.add(2, 0);
  e.add(1, 0);
  e.add(1, 0);  // duplicate
  e.add(0, 1);
  e.add(3, 3);  // self loop
  e.add(0, 2);
  return e;
}

TEST(Graph, InCsrIsByDestinationSortedBySource) {
  const Graph g(4, sample_edges());
  EXPECT_EQ(g.num_edges(), 5);  // the duplicate is gone
  ASSERT_EQ(g.in().indptr, (std::vector<EdgeId>{0, 2, 3, 4, 5}));
  EXPECT_EQ(g.in().indices, (std::vector<NodeId>{1, 2, 0, 0, 3}));
  EXPECT_EQ(g.edge_dst(), (std::vector<NodeId>{0, 0, 1, 2, 3}));
  EXPECT_FALSE(g.has_self_loop_everywhere());
}

TEST(Graph, OutCsrIsTheTransposeWithEdgeIds) {
  const Graph g(4, sample_edges());
  const std::vector<NodeId> dst = g.edge_dst();
  std::vector<int> seen(std::size_t(g.num_edges()), 0);
  for (NodeId j = 0; j < 4; ++j) {
    for (EdgeId p = g.out().indptr[std::size_t(j)]; p < g.out().indptr[std::size_t(j) + 1]; ++p) {
      const EdgeId e = g.out_edge_ids()[std::size_t(p)];
      ++seen[std::size_t(e)];
      EXPECT_EQ(g.edge_src()[std::size_t(e)], j);
      EXPECT_EQ(dst[std::size_t(e)], g.out().indices[std::size_t(p)]);
    }
  }
  for (int count : seen) EXPECT_EQ(count, 1);
}

TEST(Graph, KeepsDuplicatesWhenAsked) {
  GraphOptions o;
  o.remove_duplicates = false;
  EXPECT_EQ(Graph(4, sample_edges(), o).num_edges(), 6);
}

TEST(Graph, Symmetrise) {
  GraphOptions o;
  o.symmetrise = true;
  const EdgeSet s = edges_of(Graph(4, sample_edges(), o));
  EXPECT_EQ(s, (EdgeSet{{2, 0}, {0, 2}, {1, 0}, {0, 1}, {3, 3}}));
}

TEST(Graph, SelfLoopsAddedOncePerNode) {
  GraphOptions o;
  o.add_self_loops = true;
  const Graph g(5, sample_edges(), o);
  EXPECT_TRUE(g.has_self_loop_everywhere());
  EXPECT_EQ(g.num_edges(), 4 + 5);  // the existing loop on 3 is not doubled
  const Graph h = Graph(5, sample_edges()).with_self_loops();
  EXPECT_EQ(edges_of(g), edges_of(h));
}

TEST(Graph, RemoveSelfLoops) {
  GraphOptions o;
  o.remove_self_loops = true;
  const EdgeSet s = edges_of(Graph(4, sample_edges(), o));
  EXPECT_EQ(s.count({3, 3}), 0u);
  EXPECT_EQ(s.size(), 4u);
}

TEST(Graph, IsolatedNodesAndEmptyGraphs) {
  const Graph g(3, EdgeList{});
  EXPECT_EQ(g.num_edges(), 0);
  EXPECT_EQ(g.in().indptr, (std::vector<EdgeId>{0, 0, 0, 0}));
  EXPECT_EQ(Graph(3, EdgeList{}).with_self_loops().num_edges(), 3);
  EXPECT_EQ(Graph().num_nodes(), 0);
}

TEST(Graph, RejectsIdsOutsideTheNodeRange) {
  EdgeList e;
  e.add(0, 1);
  e.add(1, 7);
  try {
    Graph(4, e);
    FAIL() << "no error";
  } catch (const Error& err) {
    const std::string msg = err.what();
    EXPECT_NE(msg.find("edge 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("7"), std::string::npos) << msg;
  }
  EdgeList neg;
  neg.add(-1, 0);
  EXPECT_THROW(Graph(4, neg), Error);
  EXPECT_THROW(Graph(-1, EdgeList{}), Error);
}

TEST(Graph, PartitionBalancesEdgesAndCoversAllRows) {
  // One hub row with 100 edges and 100 rows with one each.
  std::vector<EdgeId> indptr{0, 100};
  for (int r = 0; r < 100; ++r) indptr.push_back(indptr.back() + 1);
  for (int parts : {1, 2, 3, 8}) {
    const auto b = partition_rows_by_edges(indptr, parts);
    ASSERT_EQ(b.size(), std::size_t(parts) + 1);
    EXPECT_EQ(b.front(), 0);
    EXPECT_EQ(b.back(), 101);
    EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  }
  // Work is edges plus one per row: 301 here. No part may exceed an even
  // share by more than the costliest row (the hub, 101).
  for (int parts : {2, 3}) {
    const auto b = partition_rows_by_edges(indptr, parts);
    for (int p = 0; p < parts; ++p) {
      const EdgeId work = indptr[std::size_t(b[std::size_t(p) + 1])] -
                          indptr[std::size_t(b[std::size_t(p)])] +
                          (b[std::size_t(p) + 1] - b[std::size_t(p)]);
      EXPECT_LE(work, 301 / parts + 101) << parts << " parts, part " << p;
      EXPECT_GT(work, 0) << parts << " parts, part " << p;
    }
  }
}

}  // namespace
}  // namespace heed
