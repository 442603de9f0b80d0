// Every metric against values worked out by hand on small cases.
#include "heed/train/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "heed/error.hpp"

namespace heed::train {
namespace {

using Classes = std::vector<std::int32_t>;
using Flags = std::vector<std::uint8_t>;
using Values = std::vector<double>;

TEST(Metrics, AccuracyAndMicroF1) {
  const Classes truth{0, 1, 2, 2, 1}, predicted{0, 2, 2, 2, 0};
  EXPECT_DOUBLE_EQ(accuracy(predicted, truth), 3.0 / 5);
  // Pooled: TP 3, FP 2, FN 2 -> 6 / 10.
  EXPECT_DOUBLE_EQ(micro_f1(predicted, truth), 0.6);
  EXPECT_THROW(accuracy(Classes{0}, truth), Error);
}

TEST(Metrics, MacroF1OverTheClassesThatOccur) {
  // class 0: TP 1, FP 1, FN 0 -> 2/3; class 1: TP 0, FP 0, FN 2 -> 0;
  // class 2: TP 2, FP 1, FN 0 -> 4/5. Mean (2/3 + 0 + 4/5) / 3.
  const Classes truth{0, 1, 2, 2, 1}, predicted{0, 2, 2, 2, 0};
  EXPECT_NEAR(macro_f1(predicted, truth), (2.0 / 3 + 0 + 0.8) / 3, 1e-15);
  // A class only predicted counts too (F1 0): truth {0, 0}, predicted {0, 3}.
  EXPECT_NEAR(macro_f1(Classes{0, 3}, Classes{0, 0}), (2.0 / 3 + 0) / 2, 1e-15);
}

TEST(Metrics, RocAucByHandAndWithTies) {
  // Positives 0.9 and 0.4, negatives 0.8 and 0.1: pairs (pos > neg) are
  // 0.9>0.8, 0.9>0.1, 0.4>0.1 -> 3 of 4.
  EXPECT_DOUBLE_EQ(roc_auc(Values{0.9, 0.8, 0.4, 0.1}, Flags{1, 0, 1, 0}), 0.75);
  // A tie between a positive and a negative counts one half:
  // pos {0.5, 0.7}, neg {0.5, 0.2}: 0.5~0.5 -> 1/2, 0.5>0.2, 0.7>0.5, 0.7>0.2 -> 3.5 / 4.
  EXPECT_DOUBLE_EQ(roc_auc(Values{0.5, 0.7, 0.5, 0.2}, Flags{1, 1, 0, 0}), 0.875);
  // Every score equal: 1/2.
  EXPECT_DOUBLE_EQ(roc_auc(Values{1, 1, 1}, Flags{1, 0, 0}), 0.5);
  EXPECT_DOUBLE_EQ(roc_auc(Values{0.1, 0.2, 0.3}, Flags{0, 0, 1}), 1.0);
  EXPECT_TRUE(std::isnan(roc_auc(Values{0.1, 0.2}, Flags{1, 1})));  // one class only
}

TEST(Metrics, AveragePrecisionByHandAndWithTies) {
  // Ranked 0.9 (+), 0.8 (-), 0.4 (+), 0.1 (-): recall steps at 1 (P 1) and
  // 3 (P 2/3): AP = 0.5 * 1 + 0.5 * 2/3.
  EXPECT_NEAR(average_precision(Values{0.9, 0.8, 0.4, 0.1}, Flags{1, 0, 1, 0}), 0.5 + 1.0 / 3,
              1e-15);
  // A tie is one threshold: 0.7 (+), then {0.5 (+), 0.5 (-)} together:
  // 0.5 * 1 + 0.5 * 2/3.
  EXPECT_NEAR(average_precision(Values{0.5, 0.7, 0.5, 0.2}, Flags{1, 1, 0, 0}), 0.5 + 1.0 / 3,
              1e-15);
  EXPECT_TRUE(std::isnan(average_precision(Values{0.1, 0.2}, Flags{0, 0})));
}

TEST(Metrics, RmseAndMae) {
  EXPECT_DOUBLE_EQ(rmse(Values{1, 2, 3}, Values{1, 4, 0}), std::sqrt((0 + 4 + 9) / 3.0));
  EXPECT_DOUBLE_EQ(mae(Values{1, 2, 3}, Values{1, 4, 0}), 5.0 / 3);
}

TEST(Metrics, ArgMaxAccuracyOverTheGivenRows) {
  const Tensor<float> scores(4, 3,
                             {0.1f, 0.7f, 0.2f,    // 1
                              0.5f, 0.4f, 0.1f,    // 0
                              0.2f, 0.2f, 0.6f,    // 2
                              0.3f, 0.3f, 0.3f});  // tie: 0
  const std::vector<std::int32_t> labels{1, 2, 2, 0};
  const std::vector<NodeId> all{0, 1, 2, 3}, some{1};
  EXPECT_DOUBLE_EQ(
      accuracy(scores, std::span<const std::int32_t>(labels), std::span<const NodeId>(all)), 0.75);
  EXPECT_DOUBLE_EQ(
      accuracy(scores, std::span<const std::int32_t>(labels), std::span<const NodeId>(some)), 0.0);
}

}  // namespace
}  // namespace heed::train
