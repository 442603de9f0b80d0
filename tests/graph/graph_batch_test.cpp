// Batches of graphs: offsets from graph ids, the errors of a set that is not
// block-diagonal, and a selection of graphs against the same graphs built by
// hand from their edge lists.
#include "heed/graph/graph_batch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "heed/error.hpp"

namespace heed {
namespace {

// Three graphs: a triangle (nodes 0-2, one edge each way), a single node
// (3), and a path 4 - 5 with a self loop on 5.
Graph three_graphs() {
  EdgeList e;
  for (auto [a, b] : std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {2, 0}}) {
    e.add(a, b);
    e.add(b, a);
  }
  e.add(4, 5);
  e.add(5, 4);
  e.add(5, 5);
  return Graph(6, e);
}
const std::vector<std::int64_t> kIds = {0, 0, 0, 1, 2, 2};

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(GraphBatch, OffsetsFromGraphIds) {
  const GraphBatch b = batch_from_graph_ids(three_graphs(), kIds);
  EXPECT_EQ(b.num_graphs(), 3);
  EXPECT_EQ(b.node_offsets, (std::vector<std::int64_t>{0, 3, 4, 6}));
  EXPECT_EQ(b.edge_offsets, (std::vector<EdgeId>{0, 6, 6, 9}));
  EXPECT_EQ(b.node_graph(), kIds);
}

TEST(GraphBatch, AMissingGraphIdIsAnEmptyGraph) {
  const GraphBatch b =
      batch_from_graph_ids(three_graphs(), std::vector<std::int64_t>{0, 0, 0, 2, 3, 3});
  EXPECT_EQ(b.node_offsets, (std::vector<std::int64_t>{0, 3, 3, 4, 6}));
  EXPECT_EQ(b.edge_offsets, (std::vector<EdgeId>{0, 6, 6, 6, 9}));
}

TEST(GraphBatch, RejectsEdgesAcrossGraphsAndDecreasingIds) {
  EXPECT_EQ(error_of([] {
              batch_from_graph_ids(three_graphs(), std::vector<std::int64_t>{0, 0, 1, 1, 2, 2});
            }),
            "graph batch: edge 2 -> 0 joins graph 1 to graph 0");
  EXPECT_EQ(error_of([] {
              batch_from_graph_ids(three_graphs(), std::vector<std::int64_t>{0, 0, 0, 2, 1, 1});
            }),
            "graph batch: node 4 is in graph 1, after a node of graph 2 (graph ids must not "
            "decrease)");
  EXPECT_NE(error_of([] {
              batch_from_graph_ids(three_graphs(), std::vector<std::int64_t>{0, 0});
            }).find("2 graph ids for 6 nodes"),
            std::string::npos);
}

TEST(GraphBatch, SelectionEqualsTheGraphsBuiltByHand) {
  const GraphBatch all = batch_from_graph_ids(three_graphs(), kIds);
  const std::vector<std::int64_t> chosen = {2, 0, 2};
  const GraphBatch b = select_graphs(all, chosen);
  // By hand: the path (nodes 0, 1), the triangle (2, 3, 4), the path again (5, 6).
  EdgeList e;
  for (int base : {0, 5}) {
    e.add(base, base + 1);
    e.add(base + 1, base);
    e.add(base + 1, base + 1);
  }
  for (auto [a, b2] : std::vector<std::pair<int, int>>{{2, 3}, {3, 4}, {4, 2}}) {
    e.add(a, b2);
    e.add(b2, a);
  }
  const Graph want(7, e);
  EXPECT_EQ(b.graph.in().indptr, want.in().indptr);
  EXPECT_EQ(b.graph.in().indices, want.in().indices);
  EXPECT_EQ(b.graph.out().indptr, want.out().indptr);
  EXPECT_EQ(b.graph.out().indices, want.out().indices);
  EXPECT_EQ(b.node_offsets, (std::vector<std::int64_t>{0, 2, 5, 7}));
  EXPECT_EQ(b.edge_offsets, (std::vector<EdgeId>{0, 3, 9, 12}));
  EXPECT_FALSE(b.graph.has_self_loop_everywhere());
  EXPECT_EQ(error_of([&] { select_graphs(all, std::vector<std::int64_t>{3}); }),
            "graph batch: graph 3 is outside [0, 3)");
}

TEST(GraphBatch, GatherBlocksStacksTheChosenGraphsRows) {
  const GraphBatch all = batch_from_graph_ids(three_graphs(), kIds);
  Tensor<float> x(6, 2);
  for (std::size_t i = 0; i < 6; ++i) x(i, 0) = float(i), x(i, 1) = float(10 * i);
  const std::vector<std::int64_t> chosen = {2, 1};
  const Tensor<float> rows = gather_blocks(x, all.node_offsets, chosen);
  ASSERT_EQ(rows.rows(), 3u);
  EXPECT_EQ(rows(0, 0), 4.0f);
  EXPECT_EQ(rows(1, 1), 50.0f);
  EXPECT_EQ(rows(2, 0), 3.0f);
  EXPECT_THROW(gather_blocks(Tensor<float>(5, 2), all.node_offsets, chosen), Error);
}

TEST(Graph, FromInCsrKeepsTheOrderAndChecksTheArrays) {
  Csr in;
  in.indptr = {0, 2, 2, 3};
  in.indices = {2, 0, 1};  // row 0's sources in a chosen order
  const Graph g = Graph::from_in_csr(3, in);
  EXPECT_EQ(g.in().indices, (std::vector<NodeId>{2, 0, 1}));
  EXPECT_EQ(g.out().indptr, (std::vector<EdgeId>{0, 1, 2, 3}));
  EXPECT_EQ(g.out_edge_ids()[0], 1);  // 0 -> 0 is edge 1
  Csr bad = in;
  bad.indices[1] = 3;
  EXPECT_EQ(error_of([&] { Graph::from_in_csr(3, bad); }),
            "graph: edge 1 has source 3, outside [0, 3)");
  bad = in;
  bad.indptr = {0, 2, 1, 3};
  EXPECT_EQ(error_of([&] { Graph::from_in_csr(3, bad); }),
            "graph: CSR row offset 2 is below offset 1");
  EXPECT_NE(error_of([&] { Graph::from_in_csr(4, in); }).find("needs 5 row offsets"),
            std::string::npos);
}

}  // namespace
}  // namespace heed
