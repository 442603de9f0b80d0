// Cross-validation folds and random splits of graph datasets: every graph
// tested exactly once, classes spread evenly, a function of the seed alone.
#include "heed/data/graph_splits.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "heed/error.hpp"

namespace heed {
namespace {

// 125 of class 1 and 63 of class 0, interleaved as in no particular order:
// MUTAG's balance.
std::vector<std::int32_t> mutag_like() {
  std::vector<std::int32_t> c;
  for (int g = 0; g < 188; ++g) c.push_back(g % 3 == 0 ? 0 : 1);
  return c;
}

TEST(StratifiedFolds, TestEveryGraphOnceWithClassesSpreadEvenly) {
  const auto classes = mutag_like();
  const auto folds = data::stratified_folds(classes, 10, 7);
  ASSERT_EQ(folds.size(), 10u);
  std::vector<int> tested(classes.size(), 0);
  for (std::size_t k = 0; k < folds.size(); ++k) {
    const auto& p = folds[k];
    EXPECT_EQ(p[0].size() + p[1].size() + p[2].size(), classes.size());
    std::set<std::int64_t> all;
    for (const auto& part : p) {
      EXPECT_TRUE(std::is_sorted(part.begin(), part.end()));
      all.insert(part.begin(), part.end());
    }
    EXPECT_EQ(all.size(), classes.size()) << "parts of fold " << k << " overlap";
    for (std::int64_t g : p[2]) ++tested[std::size_t(g)];
    // Validation is the previous fold's test set.
    EXPECT_EQ(p[1], folds[(k + 9) % 10][2]);
    // 188 graphs: 18 or 19 a fold; 63 / 10 of class 0: 6 or 7.
    EXPECT_GE(p[2].size(), 18u);
    EXPECT_LE(p[2].size(), 19u);
    const auto zeros = std::count_if(p[2].begin(), p[2].end(),
                                     [&](std::int64_t g) { return classes[std::size_t(g)] == 0; });
    EXPECT_GE(zeros, 6);
    EXPECT_LE(zeros, 7);
  }
  EXPECT_TRUE(std::all_of(tested.begin(), tested.end(), [](int t) { return t == 1; }));
}

TEST(StratifiedFolds, AreAFunctionOfTheSeed) {
  const auto classes = mutag_like();
  EXPECT_EQ(data::stratified_folds(classes, 10, 3), data::stratified_folds(classes, 10, 3));
  EXPECT_NE(data::stratified_folds(classes, 10, 3)[0][2],
            data::stratified_folds(classes, 10, 4)[0][2]);
}

TEST(StratifiedFolds, RejectTooFewOrTooManyFoldsAndUnlabelledGraphs) {
  const std::vector<std::int32_t> c{0, 1, 0, 1};
  EXPECT_THROW(data::stratified_folds(c, 2, 0), Error);
  EXPECT_THROW(data::stratified_folds(c, 5, 0), Error);
  EXPECT_NO_THROW(data::stratified_folds(c, 4, 0));
  const std::vector<std::int32_t> unlabelled{0, 1, -1, 1};
  EXPECT_THROW(data::stratified_folds(unlabelled, 3, 0), Error);
}

TEST(RandomSplit, TakesTheFractionsOfAShuffleOfAllGraphs) {
  const auto p = data::random_split(1128, {0.8, 0.1, 0.1}, 0);
  EXPECT_EQ(p[0].size(), 902u);  // round(902.4)
  EXPECT_EQ(p[1].size(), 113u);  // round(112.8)
  EXPECT_EQ(p[2].size(), 113u);
  std::set<std::int64_t> all;
  for (const auto& part : p) all.insert(part.begin(), part.end());
  EXPECT_EQ(all.size(), 1128u);
  EXPECT_EQ(*all.rbegin(), 1127);
  // Shuffled, not the first 902 graphs.
  EXPECT_NE(p[0].back(), 901);
  EXPECT_EQ(p, data::random_split(1128, {0.8, 0.1, 0.1}, 0));
  EXPECT_NE(p[2], data::random_split(1128, {0.8, 0.1, 0.1}, 1)[2]);
}

TEST(RandomSplit, RejectsBadFractionsAndTooFewGraphs) {
  EXPECT_THROW(data::random_split(100, {0.8, 0.2, 0.0}, 0), Error);
  EXPECT_THROW(data::random_split(100, {0.8, 0.1, 0.2}, 0), Error);
  EXPECT_THROW(data::random_split(2, {0.8, 0.1, 0.1}, 0), Error);
  EXPECT_NO_THROW(data::random_split(3, {0.4, 0.3, 0.3}, 0));
}

}  // namespace
}  // namespace heed
