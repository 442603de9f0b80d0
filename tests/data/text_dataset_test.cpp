// Text as graphs: AG News's CSV reader and its bad-input catalogue, word
// pieces and the vocabulary by hand, the stratified split's shares, and
// token graphs' structure (the complete graph and the sliding window,
// written out pair by pair). AG News from ../shared/data against its
// documented counts (skipped without it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "heed/data/graph_splits.hpp"
#include "heed/data/text_dataset.hpp"
#include "heed/data/token_graphs.hpp"
#include "heed/data/vocabulary.hpp"
#include "heed/error.hpp"
#include "support/tiny_dataset.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;

TEST(WordPieces, LowerCaseRunsOfLetters) {
  EXPECT_EQ(data::word_pieces("U.S. shares rose 3%, Wall St.\\said"),
            (std::vector<std::string>{"u", "s", "shares", "rose", "wall", "st", "said"}));
  EXPECT_EQ(data::word_pieces(" #36;10 million"), (std::vector<std::string>{"million"}));
  EXPECT_EQ(data::word_pieces("caf\xc3\xa9 au lait"),
            (std::vector<std::string>{"caf", "au", "lait"}));
  EXPECT_TRUE(data::word_pieces("1234 -- !!").empty());
}

TEST(Vocabulary, ByCountThenAlphabeticalWithOneUnknownWord) {
  const std::vector<std::vector<std::string>> docs{
      {"the", "cat", "sat"}, {"the", "dog", "sat"}, {"the", "emu"}, {"dog"}};
  const data::Vocabulary v = data::Vocabulary::build(docs, 2);
  ASSERT_EQ(v.size(), 4u);  // <unk>, the (3), dog (2), sat (2)
  EXPECT_EQ(v.word(0), "<unk>");
  EXPECT_EQ(v.id("the"), 1);
  EXPECT_EQ(v.id("dog"), 2);
  EXPECT_EQ(v.id("sat"), 3);
  EXPECT_EQ(v.id("cat"), data::Vocabulary::kUnknown);  // seen once
  EXPECT_EQ(v.id("zebra"), data::Vocabulary::kUnknown);
  const std::vector<std::string> text{"the", "cat", "sat", "on", "the", "dog"};
  EXPECT_EQ(v.encode(text, 4), (std::vector<std::int32_t>{1, 0, 3, 0}));
  EXPECT_EQ(v.encode({}, 4), (std::vector<std::int32_t>{0}));  // never an empty graph
  EXPECT_EQ(data::Vocabulary::build(docs, 1).size(), 6u);
  EXPECT_THROW(data::Vocabulary::build(docs, 0), Error);
}

TEST(StratifiedSplit, EachPartHoldsEveryClassInItsShare) {
  std::vector<std::int32_t> classes;
  for (int c = 0; c < 4; ++c) classes.insert(classes.end(), 95, c);  // 380, 95 a class
  const data::GraphParts p = data::stratified_split(classes, {300, 40, 40}, 7);
  std::set<std::int64_t> seen;
  for (std::size_t k = 0; k < 3; ++k) {
    std::map<std::int32_t, int> count;
    for (std::int64_t g : p[k]) {
      ++count[classes[std::size_t(g)]];
      EXPECT_TRUE(seen.insert(g).second) << "graph " << g << " in two parts";
    }
    for (int c = 0; c < 4; ++c) EXPECT_EQ(count[c], int(p[k].size()) / 4) << k << " " << c;
  }
  EXPECT_EQ(p, data::stratified_split(classes, {300, 40, 40}, 7));
  EXPECT_NE(p[2], data::stratified_split(classes, {300, 40, 40}, 8)[2]);
  // Unequal classes: 30 and 10; a part of 20 takes 15 and 5.
  std::vector<std::int32_t> skewed(30, 0);
  skewed.insert(skewed.end(), 10, 1);
  const data::GraphParts q = data::stratified_split(skewed, {20, 8, 8}, 1);
  int ones = 0;
  for (std::int64_t g : q[0]) ones += skewed[std::size_t(g)];
  EXPECT_EQ(ones, 5);
  EXPECT_THROW(data::stratified_split(classes, {300, 40, 41}, 1), Error);
  EXPECT_THROW(data::stratified_split(classes, {300, 0, 40}, 1), Error);
}

TEST(TokenGraphs, CompleteAndWindowGraphsPairByPair) {
  const std::vector<std::vector<std::int32_t>> docs{{5, 6, 7, 8, 9}, {3}, {1, 2}};
  const std::vector<std::int32_t> classes{0, 1, 1};
  for (const auto kind : {data::TokenGraph::kComplete, data::TokenGraph::kWindow}) {
    const data::GraphDataset d =
        data::token_graph_dataset("t", docs, classes, 2, {"a", "b"}, kind, 2);
    ASSERT_EQ(d.num_graphs(), 3);
    EXPECT_EQ(d.graphs.node_offsets, (std::vector<std::int64_t>{0, 5, 6, 8}));
    EXPECT_EQ(d.classes, classes);
    ASSERT_EQ(d.x.rows(), 8u);
    ASSERT_EQ(d.x.cols(), 1u);
    const std::vector<float> ids{5, 6, 7, 8, 9, 3, 1, 2};
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(d.x(i, 0), ids[i]);
    // The expected edge set, from each document's positions.
    std::set<std::pair<int, int>> want, got;
    int first = 0;
    for (const auto& doc : docs) {
      const int n = int(doc.size());
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          if (kind == data::TokenGraph::kComplete || std::abs(i - j) <= 2) {
            want.emplace(first + j, first + i);
          }
        }
      }
      first += n;
    }
    const Graph& g = d.graphs.graph;
    for (std::int64_t i = 0; i < g.num_nodes(); ++i) {
      for (NodeId j : g.in().neighbours(i)) got.emplace(j, int(i));
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(g.num_edges(), EdgeId(want.size()));  // no repeats
  }
  // The 5-token document: 25 pairs complete, 5 + 2 * 4 + 2 * 3 = 19 in the window.
  EXPECT_EQ(data::token_graph_dataset("t", docs, classes, 2, {}, data::TokenGraph::kWindow, 2)
                .graphs.edge_offsets[1],
            19);
  const std::vector<std::vector<std::int32_t>> empty{{1}, {}};
  EXPECT_THROW(data::token_graph_dataset("t", empty, std::vector<std::int32_t>{0, 0}, 1, {},
                                         data::TokenGraph::kComplete),
               Error);
  EXPECT_THROW(data::token_graph_dataset("t", docs, std::vector<std::int32_t>{0, 2, 0}, 2, {},
                                         data::TokenGraph::kComplete),
               Error);
}

class AgNewsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heed-ag-news-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // The reader's error for `text` as test.csv.gz (empty if none).
  std::string error_for(const std::string& text) {
    testing::write_gz(dir_ / "test.csv.gz", text);
    try {
      data::read_ag_news(dir_);
    } catch (const Error& e) {
      return e.what();
    }
    return {};
  }
  fs::path dir_;
};

TEST_F(AgNewsFile, ReadsQuotedFieldsAndLabels) {
  testing::write_gz(dir_ / "test.csv.gz",
                    "label,title,description\n"
                    "3,Fears for T N pension,Unions say they are 'disappointed'.\n"
                    "4,\"Title, with a comma\",\"He said \"\"hi\"\"\\then left\"\n");
  const data::TextDataset d = data::read_ag_news(dir_);
  ASSERT_EQ(d.size(), 2);
  EXPECT_EQ(d.classes, (std::vector<std::int32_t>{2, 3}));
  EXPECT_EQ(d.texts[1], "Title, with a comma He said \"hi\"\\then left");
  EXPECT_EQ(d.num_classes, 4);
  EXPECT_EQ(d.class_names[3], "Sci/Tech");
}

TEST_F(AgNewsFile, BadInputNamesTheFileLineAndProblem) {
  const std::string file = (dir_ / "test.csv.gz").string();
  EXPECT_EQ(error_for(""),
            file + ":0: the file is empty: expected the header label,title,description");
  EXPECT_EQ(error_for("class,text\n1,a\n"),
            file + ":1: expected the header label,title,description");
  EXPECT_EQ(error_for("label,title,description\n1,a,b\n2,only two\n"),
            file + ":3: expected 3 columns, found 2");
  EXPECT_EQ(error_for("label,title,description\n5,a,b\n"),
            file + ":2: column 1 (label): 5 is not a class 1 .. 4");
  EXPECT_EQ(error_for("label,title,description\nx,a,b\n"),
            file + ":2: column 1: 'x' is not an integer");
  EXPECT_EQ(error_for("label,title,description\n1,\"a,b\n"),
            file + ":2: a quoted field is not closed on its line");
  EXPECT_EQ(error_for("label,title,description\n"), file + ":1: no documents after the header");
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  EXPECT_THROW(data::read_ag_news(dir_), Error);  // no CSV there
}

TEST(AgNews, TheSharedCopyHas1900DocumentsAClass) {
  const fs::path dir = fs::path(HEED_TEST_DATA_DIR) / "ag-news";
  if (!fs::exists(dir / "test.csv.gz")) GTEST_SKIP() << "no " << dir;
  const data::TextDataset d = data::read_ag_news(dir);
  ASSERT_EQ(d.size(), 7600);
  std::map<std::int32_t, int> count;
  for (std::int32_t c : d.classes) ++count[c];
  for (int c = 0; c < 4; ++c) EXPECT_EQ(count[c], 1900);
  EXPECT_EQ(d.classes[0], 2);  // "3,Fears for T N pension after talks,..."
  EXPECT_TRUE(d.texts[0].starts_with("Fears for T N pension after talks Unions representing"));
  const data::GraphParts p = data::stratified_split(d.classes, {6000, 800, 800}, 0);
  std::map<std::int32_t, int> test;
  for (std::int64_t g : p[2]) ++test[d.classes[std::size_t(g)]];
  for (int c = 0; c < 4; ++c) EXPECT_EQ(test[c], 200);
}

}  // namespace
}  // namespace heed
