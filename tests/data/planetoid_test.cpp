// Planetoid's files: a small dataset built here by hand, written as
// Planetoid's pickles by tests/support/write_planetoid_files.py (Python, which
// inverts PyG's read_planetoid_data), and read back by heed, field by field;
// a gap in the test range (as CiteSeer has) becomes a node with zero
// features and no label; and the reader's errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "heed/data/node_dataset_files.hpp"
#include "heed/data/planetoid.hpp"
#include "heed/error.hpp"
#include "support/test_python.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;

class SmallPlanetoid : public ::testing::Test {
 protected:
  // 530 nodes (Planetoid's public split takes 500 validation nodes): 12
  // training nodes, 518 more in allx, and the test range 518 .. 529 with
  // node 523 missing from it. Three features, two of them from the node id.
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("heed-planetoid-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    expected_.name = "small";
    expected_.num_nodes = 530;
    expected_.num_features = 3;
    expected_.num_classes = 3;
    for (std::int64_t v = 0; v < 530; ++v) {
      const bool gap = v == 523;
      expected_.features.push_back(gap ? 0.0f : float(v % 7 == 0));
      expected_.features.push_back(gap ? 0.0f : float(v % 5) * 0.25f);
      expected_.features.push_back(gap ? 0.0f : 1.0f);
      expected_.labels.push_back(gap ? -1 : v % 3);
      // a ring, both directions
      const std::int64_t next = (v + 1) % 530;
      expected_.edges.emplace_back(v, next);
      expected_.edges.emplace_back(next, v);
    }
    std::sort(expected_.edges.begin(), expected_.edges.end());
    NodeDatasetFilesSplit split;
    for (std::int64_t v = 0; v < 12; ++v) split.train.push_back(v);
    for (std::int64_t v = 12; v < 512; ++v) split.valid.push_back(v);
    for (std::int64_t v = 518; v < 530; ++v) {
      if (v != 523) split.test.push_back(v);
    }
    expected_.splits["public"] = split;
    data::write_node_dataset(expected_, dir_ / "source");
    if (testing::run_python(
            {std::string(HEED_TEST_SCRIPTS_DIR) + "/support/write_planetoid_files.py",
             (dir_ / "source").string(), (dir_ / "raw").string(), "small"}) != 0) {
      GTEST_SKIP() << "needs Python 3 with numpy to write Planetoid's pickles";
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  using NodeDatasetFilesSplit = data::NodeDatasetFiles::Split;
  fs::path dir_;
  data::NodeDatasetFiles expected_;
};

TEST_F(SmallPlanetoid, ReadsBackWhatWasWrittenWithTheGapUnlabelled) {
  const data::NodeDatasetFiles d = data::read_planetoid(dir_ / "raw", "small");
  EXPECT_EQ(d.num_nodes, 530u);
  EXPECT_EQ(d.num_features, 3u);
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.features, expected_.features);
  EXPECT_EQ(d.labels, expected_.labels);
  EXPECT_EQ(d.labels[523], -1);
  EXPECT_EQ(d.edges, expected_.edges);
  const auto& split = d.splits.at("public");
  EXPECT_EQ(split.train, expected_.splits["public"].train);
  EXPECT_EQ(split.valid, expected_.splits["public"].valid);
  EXPECT_EQ(split.test, expected_.splits["public"].test);
}

TEST_F(SmallPlanetoid, BadFilesNameTheFileAndTheProblem) {
  auto message = [&] {
    try {
      data::read_planetoid(dir_ / "raw", "small");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const fs::path index = dir_ / "raw" / "ind.small.test.index";
  std::string original;
  {
    std::ifstream in(index);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(index, std::ios::app) << "x7\n";
  EXPECT_EQ(message(), index.string() + ":12: \"x7\" is not a node id (a whole number >= 0)");
  std::ofstream(index) << "518\n518\n";
  EXPECT_EQ(message(), index.string() + ": a node id appears twice");
  std::ofstream(index) << "518\n";
  EXPECT_EQ(message(), index.string() + ": 1 test nodes, but tx has 11 rows");
  fs::remove(index);
  EXPECT_EQ(message(), index.string() + ": cannot open the test index");
  // A pickle cut short.
  std::ofstream(index) << original;
  const fs::path graph = dir_ / "raw" / "ind.small.graph";
  fs::resize_file(graph, fs::file_size(graph) / 2);
  EXPECT_NE(message().find(graph.string() + ": pickle byte "), std::string::npos) << message();
}

}  // namespace
}  // namespace heed
