// The AG News study's machinery on a small corpus whose classes are told by
// their words: every model learns it, a seed fixes every number, and the
// runs come back seed-major with each model at each depth.
#include "heed/studies/ag_news_study.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "heed/error.hpp"
#include "support/synthetic_news.hpp"
#include "support/tiny_dataset.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;

data::TextDataset corpus() {
  const fs::path dir = fs::temp_directory_path() / ("heed-news-" + std::to_string(::getpid()));
  testing::write_gz(dir / "test.csv.gz", testing::synthetic_news_csv(60));
  data::TextDataset d = data::read_ag_news(dir);
  fs::remove_all(dir);
  return d;
}

studies::AgNewsOptions small() {
  studies::AgNewsOptions o;
  o.split = {160, 40, 40};
  o.width = 16;
  o.heads = 2;
  o.depths = {1, 2};
  o.batch_size = 16;
  o.seeds = 2;
  o.training.adam.lr = 0.01;
  o.training.max_epochs = 12;
  o.training.patience = 12;
  return o;
}

TEST(AgNewsStudy, EveryModelLearnsWordsThatTellTheClasses) {
  const data::TextDataset d = corpus();
  ASSERT_EQ(d.size(), 240);
  const auto runs = studies::run_ag_news_study(d, small());
  ASSERT_EQ(runs.size(), 2u * 3u * 2u);
  std::size_t k = 0;
  for (std::uint64_t seed = 0; seed < 2; ++seed) {
    for (const char* model : {"gat-complete", "transformer", "gat-window"}) {
      for (int layers : {1, 2}) {
        const studies::AgNewsRun& r = runs[k++];
        EXPECT_EQ(r.seed, seed);
        EXPECT_EQ(r.model, model);
        EXPECT_EQ(r.layers, layers);
        // 32 class words and 6 shared ones (the split's training part has
        // all of them twice or more), and the unknown word.
        EXPECT_EQ(r.vocabulary, 39);
        EXPECT_GE(r.test_accuracy, 0.9) << model << " " << layers << " seed " << seed;
        EXPECT_GT(r.seconds_per_epoch, 0);
      }
    }
  }
}

TEST(AgNewsStudy, ASeedFixesEveryNumber) {
  const data::TextDataset d = corpus();
  studies::AgNewsOptions o = small();
  o.seeds = 1;
  o.depths = {1};
  o.training.max_epochs = 3;
  const auto a = studies::run_ag_news_study(d, o);
  const auto b = studies::run_ag_news_study(d, o);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].test_accuracy, b[k].test_accuracy) << a[k].model;
    EXPECT_EQ(a[k].val_accuracy, b[k].val_accuracy) << a[k].model;
  }
  o.models = {"gat-complete", "bert"};
  EXPECT_THROW(studies::run_ag_news_study(d, o), Error);
}

}  // namespace
}  // namespace heed
