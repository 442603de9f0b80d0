// The catalogue of malformed datasets (issue #6): each case damages one file
// of a valid five-node dataset and asserts an error that names the file,
// the line where there is one, and the problem. Checkpoint damage is
// covered in tests/train/checkpoint_test.cpp and bad flags in
// tests/tools/heed_cli_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/tiny_dataset.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;

struct BadInput {
  const char* name;
  const char* file;        // relative to the dataset folder
  const char* content;     // what the file is replaced with; nullptr: removed
  bool gzip;               // written compressed
  const char* named_file;  // the file the message must name
  int line;                // and its line (0: no line)
  const char* problem;     // text the message must contain
};

// The valid files are in support/tiny_dataset.hpp: 5 nodes, 2 features,
// 2 classes, labels 0 1 -1 1 0, split public = train {0, 1}, valid {3}, test {4}.
const BadInput kCatalogue[] = {
    {"FeatureNotANumber", "node-feat.csv.gz", "1,3\n0,0\n2,abc\n0.5,1.5\n1,1\n", true,
     "node-feat.csv.gz", 3, "'abc' is not a number"},
    {"FeatureNaN", "node-feat.csv.gz", "1,3\n0,nan\n2,2\n0.5,1.5\n1,1\n", true, "node-feat.csv.gz",
     2, "'nan' is not a finite number"},
    {"FeatureInf", "node-feat.csv.gz", "1,3\n0,0\n2,2\ninf,1.5\n1,1\n", true, "node-feat.csv.gz", 4,
     "'inf' is not a finite number"},
    {"FeatureOverflow", "node-feat.csv.gz", "1,3\n0,0\n2,1e999\n0.5,1.5\n1,1\n", true,
     "node-feat.csv.gz", 3, "'1e999' is not a"},
    {"FeatureEmptyField", "node-feat.csv.gz", "1,3\n0,\n2,2\n0.5,1.5\n1,1\n", true,
     "node-feat.csv.gz", 2, "'' is not a number"},
    {"FeatureTooFewColumns", "node-feat.csv.gz", "1,3\n0\n2,2\n0.5,1.5\n1,1\n", true,
     "node-feat.csv.gz", 2, "expected 2 columns, found 1"},
    {"FeatureTooManyColumns", "node-feat.csv.gz", "1,3\n0,0\n2,2,2\n0.5,1.5\n1,1\n", true,
     "node-feat.csv.gz", 3, "expected 2 columns, found 3"},
    {"FeatureRowsMissing", "node-feat.csv.gz", "1,3\n0,0\n2,2\n", true, "node-feat.csv.gz", 0,
     "3 rows, but meta.json says num_nodes = 5"},
    {"FeatureRowsExtra", "node-feat.csv.gz", "1,3\n0,0\n2,2\n0.5,1.5\n1,1\n9,9\n", true,
     "node-feat.csv.gz", 6, "more rows than num_nodes = 5"},
    {"FeatureFileEmpty", "node-feat.csv.gz", "", true, "node-feat.csv.gz", 0,
     "0 rows, but meta.json says num_nodes = 5"},
    {"EdgeNodeIdTooLarge", "edge.csv.gz", "0,1\n1,0\n1,5\n", true, "edge.csv.gz", 3,
     "column 2: node id 5 is outside [0, 5)"},
    {"EdgeNodeIdNegative", "edge.csv.gz", "0,1\n-1,0\n", true, "edge.csv.gz", 2,
     "column 1: node id -1 is outside [0, 5)"},
    {"EdgeNodeIdNotAnInteger", "edge.csv.gz", "0,1\n1,2.5\n", true, "edge.csv.gz", 2,
     "'2.5' is not an integer"},
    {"EdgeOneColumn", "edge.csv.gz", "0,1\n3\n", true, "edge.csv.gz", 2,
     "expected 2 columns, found 1"},
    {"LabelOutOfRange", "node-label.csv.gz", "0\n1\n2\n1\n0\n", true, "node-label.csv.gz", 3,
     "label 2 is outside [0, 2)"},
    {"LabelBelowMinusOne", "node-label.csv.gz", "0\n-2\n-1\n1\n0\n", true, "node-label.csv.gz", 2,
     "label -2 is outside [0, 2)"},
    {"LabelNotANumber", "node-label.csv.gz", "0\n1\n-1\nyes\n0\n", true, "node-label.csv.gz", 4,
     "'yes' is not an integer"},
    {"LabelFileEmpty", "node-label.csv.gz", "", true, "node-label.csv.gz", 0,
     "0 rows, but meta.json says num_nodes = 5"},
    {"LabelFileMissing", "node-label.csv.gz", nullptr, true, "node-label.csv.gz", 0, "cannot open"},
    {"MetaNotJson", "meta.json", "{\"name\": \"tiny\",", false, "meta.json", 0, "not valid JSON"},
    {"MetaEmpty", "meta.json", "", false, "meta.json", 0, "not valid JSON"},
    {"MetaMissingField", "meta.json", R"({"num_nodes": 5, "num_features": 2})", false, "meta.json",
     0, "missing field \"num_classes\""},
    {"MetaZeroNodes", "meta.json", R"({"num_nodes": 0, "num_features": 2, "num_classes": 2})",
     false, "meta.json", 0, "field \"num_nodes\" = 0 is out of range"},
    {"MetaFractionalFeatures", "meta.json",
     R"({"num_nodes": 5, "num_features": 2.5, "num_classes": 2})", false, "meta.json", 0,
     "field \"num_features\" must be an integer"},
    {"SplitNodeOutOfRange", "split/public/valid.csv.gz", "3\n7\n", true,
     "split/public/valid.csv.gz", 2, "node id 7 is outside [0, 5)"},
    {"SplitNodeNegative", "split/public/test.csv.gz", "-4\n", true, "split/public/test.csv.gz", 1,
     "node id -4 is outside [0, 5)"},
    {"SplitNodeWithoutLabel", "split/public/valid.csv.gz", "3\n2\n", true,
     "split/public/valid.csv.gz", 2, "node 2 has no label"},
    {"SplitNodeListedTwice", "split/public/train.csv.gz", "0\n1\n0\n", true,
     "split/public/train.csv.gz", 3, "node 0 is listed twice (also on line 1)"},
    {"SplitPartsOverlap", "split/public/test.csv.gz", "4\n1\n", true, "split/public/test.csv.gz", 2,
     "node 1 is also in train.csv.gz (line 2): the parts overlap"},
    {"SplitPartMissing", "split/public/valid.csv.gz", nullptr, true, "split/public/valid.csv.gz", 0,
     "cannot open"},
    {"NotGzipButBinary", "edge.csv.gz", "\x1f\x8b\x08\x00garbage-after-a-gzip-magic", false,
     "edge.csv.gz", 0, "gzip"},
};

class BadInputCatalogue : public testing::TinyDataset,
                          public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputCatalogue, ErrorNamesTheFileTheLineAndTheProblem) {
  const BadInput& c = GetParam();
  const fs::path file = dir_ / c.file;
  if (c.content == nullptr) {
    fs::remove(file);
  } else if (c.gzip) {
    testing::write_gz(file, c.content);
  } else {
    testing::write_text(file, c.content);
  }
  expect_error(c.named_file, c.line, c.problem);
}

INSTANTIATE_TEST_SUITE_P(Cases, BadInputCatalogue, ::testing::ValuesIn(kCatalogue),
                         [](const ::testing::TestParamInfo<BadInput>& info) {
                           return std::string(info.param.name);
                         });

TEST(BadInputCatalogueSize, HasAtLeastTwentyFiveDatasetCases) {
  EXPECT_GE(std::size(kCatalogue), 25u);
}

}  // namespace
}  // namespace heed
