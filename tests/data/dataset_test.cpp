// The dataset reader on a tiny hand-written dataset, on malformed variants of
// it, and (when ../shared/data is present) on Cora and CiteSeer.
#include "heed/data/dataset.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "heed/data/synthetic.hpp"
#include "heed/error.hpp"
#include "support/tiny_dataset.hpp"

namespace heed::data {
namespace {

namespace fs = std::filesystem;
using testing::TinyDataset;
using testing::write_gz;
using testing::write_text;

TEST_F(TinyDataset, ReadsEveryPart) {
  const Dataset d = load_dataset(dir_.string());
  EXPECT_EQ(d.name, "tiny");
  EXPECT_EQ(d.num_nodes(), 5);
  EXPECT_EQ(d.num_features(), 2);
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_EQ(d.graph.num_edges(), 8);
  EXPECT_EQ(d.y, (std::vector<std::int32_t>{0, 1, -1, 1, 0}));
  EXPECT_FLOAT_EQ(d.x(3, 1), 1.5f);
  EXPECT_EQ(d.split("public").train, (std::vector<NodeId>{0, 1}));
  EXPECT_EQ(d.split("public").valid, (std::vector<NodeId>{3}));
  EXPECT_EQ(d.split("public").test, (std::vector<NodeId>{4}));
  EXPECT_THROW(d.split("random"), Error);
}

TEST_F(TinyDataset, RowNormalisation) {
  const Dataset d = load_dataset(dir_.string(), LoadOptions{true});
  EXPECT_FLOAT_EQ(d.x(0, 0), 0.25f);
  EXPECT_FLOAT_EQ(d.x(0, 1), 0.75f);
  EXPECT_FLOAT_EQ(d.x(1, 0), 0.0f);  // an all-zero row stays zero
  EXPECT_FLOAT_EQ(d.x(2, 1), 0.5f);
}

TEST_F(TinyDataset, NonNumberNamesFileAndLine) {
  write_gz(dir_ / "node-feat.csv.gz", "1,3\n0,0\n2,abc\n0.5,1.5\n");
  expect_error("node-feat.csv.gz", 3, "'abc' is not a number");
}

TEST_F(TinyDataset, NonFiniteFeatureIsRejected) {
  write_gz(dir_ / "node-feat.csv.gz", "1,3\n0,nan\n2,2\n0.5,1.5\n");
  expect_error("node-feat.csv.gz", 2, "'nan' is not a finite number");
}

TEST_F(TinyDataset, WrongColumnCountNamesFileAndLine) {
  write_gz(dir_ / "edge.csv.gz", "0,1\n1,0\n1,2,7\n");
  expect_error("edge.csv.gz", 3, "expected 2 columns, found 3");
  write_gz(dir_ / "edge.csv.gz", "0,1\n1,0\n");
  write_gz(dir_ / "node-feat.csv.gz", "1,3\n0\n2,2\n0.5,1.5\n");
  expect_error("node-feat.csv.gz", 2, "expected 2 columns, found 1");
}

TEST_F(TinyDataset, NodeIdOutOfRangeNamesFileAndLine) {
  write_gz(dir_ / "edge.csv.gz", "0,1\n1,0\n1,5\n");
  expect_error("edge.csv.gz", 3, "node id 5");
  write_gz(dir_ / "edge.csv.gz", "0,1\n");
  write_gz(dir_ / "split/public/test.csv.gz", "4\n-2\n");
  expect_error("split/public/test.csv.gz", 2, "node id -2");
}

TEST_F(TinyDataset, LabelOutOfRangeNamesFileAndLine) {
  write_gz(dir_ / "node-label.csv.gz", "0\n1\n2\n1\n");
  expect_error("node-label.csv.gz", 3, "label 2");
}

TEST_F(TinyDataset, MissingFileIsNamed) {
  fs::remove(dir_ / "node-label.csv.gz");
  expect_error("node-label.csv.gz", 0, "cannot open");
}

TEST_F(TinyDataset, TruncatedGzipNamesFileAndLine) {
  // Many lines, then cut the compressed stream in half.
  std::string edges;
  for (int k = 0; k < 20000; ++k)
    edges += std::to_string(k % 4) + "," + std::to_string((k + 1) % 4) + "\n";
  write_gz(dir_ / "edge.csv.gz", edges);
  const auto size = fs::file_size(dir_ / "edge.csv.gz");
  fs::resize_file(dir_ / "edge.csv.gz", size / 2);
  const std::string msg = load_error();
  EXPECT_NE(msg.find((dir_ / "edge.csv.gz").string() + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST_F(TinyDataset, RowCountMustMatchMeta) {
  write_gz(dir_ / "node-feat.csv.gz", "1,3\n0,0\n2,2\n");
  expect_error("node-feat.csv.gz", 0, "3 rows");
}

TEST_F(TinyDataset, BadMetaIsNamed) {
  write_text(dir_ / "meta.json", R"({"name": "tiny", "num_nodes": 4, "num_features": 2})");
  expect_error("meta.json", 0, "num_classes");
  write_text(dir_ / "meta.json", "{not json");
  expect_error("meta.json", 0, "not valid JSON");
}

TEST_F(TinyDataset, SplitNodeWithoutLabelIsRejected) {
  write_gz(dir_ / "split/public/valid.csv.gz", "2\n");
  const std::string msg = load_error();
  EXPECT_NE(msg.find("no label"), std::string::npos) << msg;
}

TEST_F(TinyDataset, FoundByNameThroughHeedData) {
  ::setenv("HEED_DATA", dir_.parent_path().c_str(), 1);
  const Dataset d = load_dataset(dir_.filename().string());
  ::unsetenv("HEED_DATA");
  EXPECT_EQ(d.name, "tiny");
  try {
    load_dataset("no-such-dataset-anywhere");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
  }
}

fs::path shared(const char* name) {
  return fs::path(HEED_TEST_DATA_DIR) / name;
}

TEST(SharedData, CoraHasThePlanetoidShape) {
  if (!fs::exists(shared("cora"))) GTEST_SKIP() << "no " << shared("cora");
  const Dataset d = load_dataset(shared("cora").string(), LoadOptions{true});
  EXPECT_EQ(d.num_nodes(), 2708);
  EXPECT_EQ(d.graph.num_edges(), 10556);
  EXPECT_EQ(d.num_features(), 1433);
  EXPECT_EQ(d.num_classes, 7);
  const Split& s = d.split("public");
  EXPECT_EQ(s.train.size(), 140u);
  EXPECT_EQ(s.valid.size(), 500u);
  EXPECT_EQ(s.test.size(), 1000u);
  double row = 0;
  for (float v : d.x.row(0)) row += v;
  EXPECT_NEAR(row, 1.0, 1e-5);
}

TEST(SharedData, CiteseerKeepsUnlabelledNodesOutOfSplits) {
  if (!fs::exists(shared("citeseer"))) GTEST_SKIP() << "no " << shared("citeseer");
  const Dataset d = load_dataset(shared("citeseer").string());
  EXPECT_EQ(d.num_nodes(), 3327);
  EXPECT_EQ(d.num_classes, 6);
  EXPECT_EQ(std::count(d.y.begin(), d.y.end(), -1), 15);
  EXPECT_EQ(d.split("public").train.size(), 120u);
}

TEST(Synthetic, CsbmHasTheRequestedShapeAndHomophily) {
  SyntheticOptions o;
  o.nodes = 1000;
  o.classes = 4;
  o.features = 8;
  o.seed = 3;
  const Dataset d = make_csbm(o);
  EXPECT_EQ(d.num_nodes(), 1000);
  EXPECT_EQ(d.num_features(), 8);
  EXPECT_EQ(d.num_classes, 4);
  const Split& s = d.split("public");
  EXPECT_EQ(s.train.size(), 80u);
  EXPECT_EQ(s.valid.size(), 306u);  // 920 left: a third validates
  EXPECT_EQ(s.test.size(), 614u);
  // Edge homophily near the requested share.
  const EdgeList e = d.graph.edge_list();
  std::size_t same = 0;
  for (std::size_t k = 0; k < e.size(); ++k)
    same += d.y[std::size_t(e.src[k])] == d.y[std::size_t(e.dst[k])];
  EXPECT_NEAR(double(same) / double(e.size()), o.homophily, 0.05);
  EXPECT_NEAR(double(e.size()) / 1000.0, o.avg_degree, 1.0);
  // Same seed, same graph.
  EXPECT_EQ(make_csbm(o).graph.in().indices, d.graph.in().indices);
}

}  // namespace
}  // namespace heed::data
