// Dynamic against static attention on the GATv2 paper's DictionaryLookup
// problem: with one head, GATv2 fits every training query and GAT cannot,
// because its ranking of the keys is the same for every query.
#include "heed/studies/dictionary_lookup_study.hpp"

#include <gtest/gtest.h>

#include <set>

#include "heed/error.hpp"

namespace heed {
namespace {

TEST(DictionaryLookup, EachQueryHasExactlyOneMatchingKey) {
  data::DictionaryLookupOptions o;
  o.keys = 5;
  o.graphs = 4;
  o.train_share = 0.5;
  const data::Dataset d = data::dictionary_lookup(o);
  ASSERT_EQ(d.num_nodes(), 40);
  EXPECT_EQ(d.graph.num_edges(), 4 * 25);
  EXPECT_EQ(d.split("public").train.size(), 10u);
  EXPECT_EQ(d.split("public").test.size(), 10u);
  for (NodeId q = 0; q < NodeId(d.num_nodes()); ++q) {
    const auto keys = d.graph.in().neighbours(q);
    if (d.y[std::size_t(q)] < 0) {
      EXPECT_TRUE(keys.empty());  // a key: no in-edges
      continue;
    }
    ASSERT_EQ(keys.size(), 5u);
    int matches = 0;
    std::set<int> values;
    for (NodeId k : keys) {
      int attribute = -1, value = -1;
      for (int f = 0; f < 5; ++f) {
        if (d.x(std::size_t(k), std::size_t(f)) == 1) attribute = f;
        if (d.x(std::size_t(k), std::size_t(5 + f)) == 1) value = f;
      }
      values.insert(value);
      if (d.x(std::size_t(q), std::size_t(attribute)) == 1) {
        ++matches;
        EXPECT_EQ(value, d.y[std::size_t(q)]);
      }
    }
    EXPECT_EQ(matches, 1);
    EXPECT_EQ(values.size(), 5u);  // the values are a permutation
  }
  o.keys = 1;
  EXPECT_THROW(data::dictionary_lookup(o), Error);
}

TEST(DictionaryLookup, Gatv2FitsTheTrainingGraphsAndGatCannot) {
  studies::DictionaryLookupStudy s;
  s.data.keys = 10;
  s.data.graphs = 200;
  s.hidden = 32;
  s.max_epochs = 400;
  s.conv = "gatv2";
  const studies::DictionaryLookupResult v2 = studies::run_dictionary_lookup(s);
  s.conv = "gat";
  s.max_epochs = 200;
  const studies::DictionaryLookupResult v1 = studies::run_dictionary_lookup(s);
  std::printf("train accuracy: GATv2 %.4f after %d epochs, GAT %.4f after %d\n", v2.train_accuracy,
              v2.epochs, v1.train_accuracy, v1.epochs);
  EXPECT_GE(v2.train_accuracy, 0.99);
  // Static attention: every query weighs the keys in the same order, so it
  // reads the same mixture of values; a little over chance (1/k) at best.
  EXPECT_LE(v1.best_train_accuracy, 0.3);
}

}  // namespace
}  // namespace heed
