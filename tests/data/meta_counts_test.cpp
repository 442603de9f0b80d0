// Every count in meta.json is checked against the files, and a mismatch names
// the field and the file; no count sizes an allocation before the files
// confirm it (a meta.json claiming two billion nodes or classes is an error,
// not an out-of-memory crash).
#include <gtest/gtest.h>

#include <string>

#include "heed/data/synthetic.hpp"
#include "support/tiny_dataset.hpp"

namespace heed {
namespace {

struct CountCase {
  const char* name;
  const char* meta;        // the whole meta.json
  const char* named_file;  // the file the message must name
  const char* problem;     // text the message must contain
};

// The tiny dataset: 5 nodes, 8 edge lines, 2 features, labels 0 1 -1 1 0,
// split public = train {0, 1}, valid {3}, test {4}.
const CountCase kCases[] = {
    {"ClassesFarTooMany", R"({"num_nodes": 5, "num_features": 2, "num_classes": 2000000000})",
     "node-label.csv.gz", "the largest label is 1 (so 2 classes), but"},
    {"ClassesOneTooMany", R"({"num_nodes": 5, "num_features": 2, "num_classes": 3})",
     "node-label.csv.gz", "says num_classes = 3"},
    {"EdgesFewerThanTheFile",
     R"({"num_nodes": 5, "num_edges": 4, "num_features": 2, "num_classes": 2})", "edge.csv.gz",
     "8 edge lines, but"},
    {"EdgesMoreThanTheFile",
     R"({"num_nodes": 5, "num_edges": 100000, "num_features": 2, "num_classes": 2})", "edge.csv.gz",
     "says num_edges = 100000"},
    {"NodesFarTooMany", R"({"num_nodes": 2000000000, "num_features": 2, "num_classes": 2})",
     "node-feat.csv.gz", "5 rows, but meta.json says num_nodes = 2000000000"},
    {"FeaturesFarTooMany", R"({"num_nodes": 5, "num_features": 2000000000, "num_classes": 2})",
     "node-feat.csv.gz", "expected 2000000000 columns, found 2"},
    {"UnlabelledWrong",
     R"({"num_nodes": 5, "num_features": 2, "num_classes": 2, "unlabelled_nodes": 0})",
     "node-label.csv.gz", "1 nodes have label -1, but"},
    {"SplitSizeWrong",
     R"({"num_nodes": 5, "num_features": 2, "num_classes": 2,
         "splits": {"public": {"train": 2, "valid": 1, "test": 3}}})",
     "split/public/test.csv.gz", "says splits.public.test = 3"},
    {"SplitNotThere",
     R"({"num_nodes": 5, "num_features": 2, "num_classes": 2,
         "splits": {"random": {"train": 2, "valid": 1, "test": 1}}})",
     "meta.json", "names split \"random\""},
    {"SplitSizeNotANumber",
     R"({"num_nodes": 5, "num_features": 2, "num_classes": 2,
         "splits": {"public": {"train": "two", "valid": 1, "test": 1}}})",
     "meta.json", "\"splits.public.train\" must be an integer"},
    {"EdgeCountNegative",
     R"({"num_nodes": 5, "num_edges": -1, "num_features": 2, "num_classes": 2})", "meta.json",
     "field \"num_edges\" = -1 is out of range"},
};

class MetaCounts : public testing::TinyDataset, public ::testing::WithParamInterface<CountCase> {};

TEST_P(MetaCounts, AMismatchNamesTheFieldAndTheFile) {
  const CountCase& c = GetParam();
  testing::write_text(dir_ / "meta.json", c.meta);
  expect_error(c.named_file, 0, c.problem);
}

INSTANTIATE_TEST_SUITE_P(Cases, MetaCounts, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<CountCase>& info) {
                           return std::string(info.param.name);
                         });

class MetaCountsAgree : public testing::TinyDataset {};

TEST_F(MetaCountsAgree, EveryCountGivenAndRightLoads) {
  testing::write_text(dir_ / "meta.json", R"({"name": "tiny", "num_nodes": 5, "num_edges": 8,
      "num_features": 2, "num_classes": 2, "unlabelled_nodes": 1,
      "splits": {"public": {"train": 2, "valid": 1, "test": 1}}})");
  EXPECT_EQ(load_error(), "");
}

}  // namespace
}  // namespace heed

namespace heed {
namespace {

// The synthetic graph's settings come from flags or from a checkpoint's
// record: sizes past what could be allocated are errors before anything is.
TEST(SyntheticSettings, SizesPastMemoryAreRefusedUpFront) {
  data::SyntheticOptions o;
  o.nodes = 100000000;
  o.features = 1 << 20;
  EXPECT_THROW(data::make_csbm(o), Error);
  o = data::SyntheticOptions{};
  o.avg_degree = 1e9;
  EXPECT_THROW(data::make_csbm(o), Error);
  o = data::SyntheticOptions{};
  o.classes = o.nodes + 1;
  EXPECT_THROW(data::make_csbm(o), Error);
}

}  // namespace
}  // namespace heed
