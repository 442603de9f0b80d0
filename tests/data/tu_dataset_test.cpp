// The TUDataset reader: a tiny set written here, read by hand; its bad-input
// catalogue (each error names the file, the line and the problem); and
// MUTAG from ../shared/data (skipped without it) against its documented
// counts and the raw files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "heed/data/graph_dataset.hpp"
#include "heed/error.hpp"
#include "support/tiny_dataset.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;
using testing::write_text;

// Two graphs: a triangle with node labels 3, 3, 5 and a pair with labels 4,
// 3; edge labels 0 and 1; graph labels -1 and 1. The edge 2, 3 of the pair
// is listed twice (merged, features summed) and node 4 has a self loop
// (dropped).
class TinyTu : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heed-tu-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    write("A", "1, 2\n2, 1\n2, 3\n3, 2\n1, 3\n3, 1\n4, 5\n5, 4\n5, 4\n4, 4\n");
    write("edge_labels", "0\n0\n1\n1\n0\n0\n1\n1\n0\n0\n");
    write("graph_indicator", "1\n1\n1\n2\n2\n");
    write("node_labels", "3\n3\n5\n4\n3\n");
    write("graph_labels", "-1\n1\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& part, const std::string& text) {
    write_text(dir_ / ("TINY_" + part + ".txt"), text);
  }
  std::string error() {
    try {
      data::read_tu_dataset(dir_);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  fs::path dir_;
};

TEST_F(TinyTu, ReadsGraphsFeaturesAndTargets) {
  ASSERT_TRUE(data::is_tu_dataset(dir_));
  const data::GraphDataset d = data::read_tu_dataset(dir_);
  EXPECT_EQ(d.name, "TINY");
  EXPECT_EQ(d.num_graphs(), 2);
  EXPECT_EQ(d.graphs.node_offsets, (std::vector<std::int64_t>{0, 3, 5}));
  // 6 triangle edges, the pair's two directions once each, no loop.
  EXPECT_EQ(d.graphs.graph.num_edges(), 8);
  EXPECT_EQ(d.graphs.edge_offsets, (std::vector<EdgeId>{0, 6, 8}));
  // Node labels 3..5 one-hot in 3 columns.
  ASSERT_EQ(d.x.cols(), 3u);
  const std::vector<int> hot = {0, 0, 2, 1, 0};
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t c = 0; c < 3; ++c) EXPECT_EQ(d.x(i, c), c == std::size_t(hot[i]) ? 1 : 0);
  }
  // Edge features follow the graph's edge ids: edge 5 -> 4 (0-based 4 -> 3)
  // was listed twice with labels 1 and 0, so its one-hot rows add up.
  ASSERT_EQ(d.edge_attr.cols(), 2u);
  const Csr& in = d.graphs.graph.in();
  std::map<std::pair<int, int>, std::pair<float, float>> features;
  for (NodeId i = 0; i < 5; ++i) {
    for (EdgeId e = in.indptr[std::size_t(i)]; e < in.indptr[std::size_t(i) + 1]; ++e) {
      features[{in.indices[std::size_t(e)], i}] = {d.edge_attr(std::size_t(e), 0),
                                                   d.edge_attr(std::size_t(e), 1)};
    }
  }
  EXPECT_EQ(features.at({0, 1}), std::make_pair(1.0f, 0.0f));
  EXPECT_EQ(features.at({1, 2}), std::make_pair(0.0f, 1.0f));
  EXPECT_EQ(features.at({3, 4}), std::make_pair(0.0f, 1.0f));
  EXPECT_EQ(features.at({4, 3}), std::make_pair(1.0f, 1.0f));
  EXPECT_EQ(features.count({3, 3}), 0u);
  // Labels -1 and 1 become classes 0 and 1.
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_EQ(d.classes, (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"-1", "1"}));
  EXPECT_FALSE(d.is_regression());
}

TEST_F(TinyTu, GraphAttributesMakeARegressionSet) {
  write("graph_attributes", "0.5, 1\n-2.25, 3\n");
  const data::GraphDataset d = data::read_tu_dataset(dir_);
  ASSERT_TRUE(d.is_regression());
  ASSERT_EQ(d.values.cols(), 2u);
  EXPECT_EQ(d.values(1, 0), -2.25f);
}

TEST_F(TinyTu, AnEdgeAcrossGraphsNamesTheLine) {
  write("A", "1, 2\n2, 1\n3, 4\n");
  write("edge_labels", "0\n0\n1\n");
  EXPECT_EQ(error(), (dir_ / "TINY_A.txt").string() + ":3: edge 3, 4 joins graph 1 to graph 2");
}

TEST_F(TinyTu, ANodeIdOutOfRangeNamesTheLine) {
  write("A", "1, 2\n2, 6\n");
  EXPECT_EQ(error(), (dir_ / "TINY_A.txt").string() +
                         ":2: node 6 is outside 1..5 (the nodes of TINY_graph_indicator.txt)");
}

TEST_F(TinyTu, ADecreasingGraphIndicatorNamesTheLine) {
  write("graph_indicator", "1\n2\n1\n2\n2\n");
  EXPECT_EQ(error(), (dir_ / "TINY_graph_indicator.txt").string() +
                         ":3: graph 1 after graph 2: graph ids must not decrease (a graph's "
                         "nodes are consecutive)");
}

TEST_F(TinyTu, AGraphWithoutNodesIsAnError) {
  write("graph_indicator", "1\n1\n1\n3\n3\n");
  write("graph_labels", "1\n1\n1\n");
  EXPECT_EQ(error(), (dir_ / "TINY_graph_indicator.txt").string() +
                         ":4: graph 3 after graph 1: graph 2 would have no nodes");
}

TEST_F(TinyTu, AMissingLabelsFileIsNamed) {
  fs::remove(dir_ / "TINY_graph_labels.txt");
  EXPECT_EQ(error(), dir_.string() +
                         ": the graphs have no targets (neither TINY_graph_labels.txt nor "
                         "TINY_graph_attributes.txt)");
}

TEST_F(TinyTu, MismatchedLineCountsAreNamed) {
  write("node_labels", "3\n3\n5\n4\n");
  EXPECT_EQ(error(), (dir_ / "TINY_node_labels.txt").string() +
                         ": 4 lines, but TINY_graph_indicator.txt has 5 nodes");
  write("node_labels", "3\n3\n5\n4\n3\n");
  write("edge_labels", "0\n");
  EXPECT_EQ(error(),
            (dir_ / "TINY_edge_labels.txt").string() + ": 1 line, but TINY_A.txt has 10 edges");
  write("edge_labels", "0\n0\n1\n1\n0\n0\n1\n1\n0\n0\n");
  write("graph_labels", "1\n");
  EXPECT_EQ(error(), (dir_ / "TINY_graph_labels.txt").string() +
                         ": 1 line, but TINY_graph_indicator.txt has 2 graphs");
}

TEST_F(TinyTu, NonNumbersAndBadColumnsNameTheLine) {
  write("graph_labels", "-1\nactive\n");
  EXPECT_EQ(error(),
            (dir_ / "TINY_graph_labels.txt").string() + ":2: column 1: 'active' is not an integer");
  write("graph_labels", "-1\n1\n");
  write("A", "1, 2\n2\n");
  EXPECT_EQ(error(), (dir_ / "TINY_A.txt").string() + ":2: expected 2 columns, found 1");
}

TEST_F(TinyTu, MetaCountsAreChecked) {
  write_text(dir_ / "meta.json", R"({"name": "tiny", "num_graphs": 3})");
  EXPECT_EQ(error(), (dir_ / "TINY_graph_indicator.txt").string() + " has 2, but " +
                         (dir_ / "meta.json").string() + " says num_graphs = 3");
}

TEST(TuDataset, MutagMatchesItsDocumentedCounts) {
  const fs::path dir = fs::path(HEED_TEST_DATA_DIR) / "mutag";
  if (!fs::exists(dir / "MUTAG_A.txt")) GTEST_SKIP() << "no " << dir;
  const data::GraphDataset d = data::read_tu_dataset(dir);
  EXPECT_EQ(d.name, "mutag");
  EXPECT_EQ(d.num_graphs(), 188);
  EXPECT_EQ(d.graphs.graph.num_nodes(), 3371);
  EXPECT_EQ(d.graphs.graph.num_edges(), 7442);  // no loops, no repeats
  EXPECT_EQ(d.x.cols(), 7u);
  EXPECT_EQ(d.edge_attr.cols(), 4u);
  EXPECT_EQ(d.num_classes, 2);
  int positive = 0;
  for (std::int32_t c : d.classes) positive += c;
  EXPECT_EQ(positive, 125);  // label 1, the later class
  // One node-label column: each node's label is kept as the file gives it
  // (MUTAG's first atom is a carbon, label 0; its labels run 0 .. 6).
  ASSERT_EQ(d.node_labels.size(), 3371u);
  EXPECT_EQ(d.node_labels[0], 0);
  EXPECT_EQ(*std::max_element(d.node_labels.begin(), d.node_labels.end()), 6);
  EXPECT_TRUE(d.smiles.empty());
  for (std::size_t i = 0; i < d.x.rows(); ++i) {
    float row = 0;
    for (float v : d.x.row(i)) row += v;
    ASSERT_EQ(row, 1.0f) << "node " << i;
  }
  for (std::size_t e = 0; e < d.edge_attr.rows(); ++e) {
    float row = 0;
    for (float v : d.edge_attr.row(e)) row += v;
    ASSERT_EQ(row, 1.0f) << "edge " << e;
  }
  // Graph 1 (the first 17 lines of the indicator) as the raw files give it.
  EXPECT_EQ(d.graphs.node_offsets[1], 17);
  std::ifstream a(dir / "MUTAG_A.txt");
  int first_graph_lines = 0, r = 0, c = 0;
  char comma = 0;
  while (a >> r >> comma >> c) first_graph_lines += r <= 17;
  EXPECT_EQ(d.graphs.edge_offsets[1], first_graph_lines);
}

}  // namespace
}  // namespace heed
