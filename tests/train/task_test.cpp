// Tasks: the head, loss and metrics each kind fixes, scored by hand; the
// full-graph source; model selection by a chosen metric.
#include "heed/train/task.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "heed/autograd/ops.hpp"
#include "heed/data/synthetic.hpp"
#include "heed/error.hpp"
#include "heed/nn/model.hpp"
#include "heed/train/early_stopping.hpp"
#include "heed/train/full_graph_source.hpp"
#include "heed/train/trainer.hpp"

namespace heed::train {
namespace {

TEST(Task, EachKindHasItsLossAndMetrics) {
  const Task m = Task::of(Target::kNode, TaskKind::kMultiClass, 3);
  EXPECT_EQ(m.loss, Loss::kCrossEntropy);
  EXPECT_EQ(m.metrics(), (std::vector<std::string>{"accuracy", "micro_f1", "macro_f1"}));
  const Task b = Task::of(Target::kGraph, TaskKind::kBinary, 1);
  EXPECT_EQ(b.loss, Loss::kBceWithLogits);
  EXPECT_EQ(b.main_metric(), "roc_auc");
  const Task r = Task::of(Target::kGraph, TaskKind::kRegression, 1);
  EXPECT_EQ(r.metrics(), (std::vector<std::string>{"rmse", "mae"}));
  EXPECT_FALSE(higher_is_better("rmse"));
  EXPECT_TRUE(higher_is_better("macro_f1"));
  Task wrong = m;
  wrong.loss = Loss::kMse;
  EXPECT_THROW(wrong.validate(), Error);
  EXPECT_THROW(check_metric(m, "rmse"), Error);
}

TEST(Task, ScoresByHand) {
  // Regression on rows 2 and 0 of a 3 x 1 output.
  const Task r = Task::of(Target::kNode, TaskKind::kRegression, 1);
  Targets t;
  t.rows = {2, 0};
  t.values = Tensor<float>(2, 1, {1.0f, -1.0f});
  const Tensor<float> p(3, 1, {0.0f, 5.0f, 4.0f});
  const Scores s = score(r, p, t);
  EXPECT_DOUBLE_EQ(s.loss, (9.0 + 1.0) / 2);  // MSE
  EXPECT_DOUBLE_EQ(s.metric("rmse"), std::sqrt(5.0));
  EXPECT_DOUBLE_EQ(s.metric("mae"), 2.0);
  // Binary: logits 2, -1, 0.5 for targets 1, 0, 0.
  const Task b = Task::of(Target::kNode, TaskKind::kBinary, 1);
  Targets tb;
  tb.rows = {0, 1, 2};
  tb.values = Tensor<float>(3, 1, {1, 0, 0});
  const Scores sb = score(b, Tensor<float>(3, 1, {2.0f, -1.0f, 0.5f}), tb);
  EXPECT_DOUBLE_EQ(sb.metric("roc_auc"), 1.0);
  EXPECT_DOUBLE_EQ(sb.metric("accuracy"), 2.0 / 3);  // 0.5 > 0 is a wrong yes
  const double bce =
      (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + 0.5 + std::log1p(std::exp(-0.5))) /
      3;
  EXPECT_NEAR(sb.loss, bce, 1e-6);
}

TEST(Task, TheLossOnTheTapeMatchesTheScoredLoss) {
  const Task m = Task::of(Target::kNode, TaskKind::kMultiClass, 3);
  Targets t;
  t.rows = {0, 2};
  t.classes = {2, 1};
  Tape<float> tape;
  const Var<float> out = tape.constant(Tensor<float>(3, 3, {1, 2, 3, 0, 0, 0, -1, 4, 0.5f}));
  const double on_tape = task_loss(m, out, t).value()(0, 0);
  const Scores s = score(m, task_predictions(m, out), t);
  EXPECT_NEAR(on_tape, s.loss, 1e-6);
  EXPECT_DOUBLE_EQ(s.metric("accuracy"), 1.0);
}

TEST(FullGraphSource, OneBatchWithEveryPartAndClearErrors) {
  data::SyntheticOptions o;
  o.nodes = 300;
  o.valid = 50;
  o.test = 100;
  data::Dataset d = data::make_csbm(o);
  FullGraphSource source(d, "public");
  EXPECT_EQ(source.task().outputs, d.num_classes);
  EXPECT_TRUE(source.graph().has_self_loop_everywhere());
  int batches = 0;
  source.training_batches(0, 1, [&](const Batch& b) {
    ++batches;
    ASSERT_NE(b.of(Part::kTrain), nullptr);
    EXPECT_EQ(b.of(Part::kValid), nullptr);
    EXPECT_EQ(b.of(Part::kTrain)->size(), d.split("public").train.size());
  });
  EXPECT_EQ(batches, 1);
  source.evaluation_batches([&](const Batch& b) {
    EXPECT_EQ(b.of(Part::kTest)->size(), 100u);
    EXPECT_EQ(b.of(Part::kValid)->classes[0], d.y[std::size_t(d.split("public").valid[0])]);
  });
  d.y[std::size_t(d.split("public").test[3])] = -1;
  try {
    FullGraphSource bad(d, "public");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("csbm: test node"), std::string::npos) << e.what();
  }
}

TEST(EarlyStopping, ByTheLossAloneOrAScoreAlone) {
  EarlyStopping loss(2, EarlyStopping::Rule::kLoss);
  EXPECT_TRUE(loss.update(1.0, 0.1).keep_model);
  EXPECT_FALSE(loss.update(1.1, 0.9).keep_model);  // a better score does not count
  EXPECT_TRUE(loss.update(0.9, 0.0).keep_model);
  EXPECT_FALSE(loss.update(1.0, 1.0).stop);
  EXPECT_TRUE(loss.update(1.0, 1.0).stop);
  EarlyStopping score(1, EarlyStopping::Rule::kScore);
  EXPECT_TRUE(score.update(5.0, -3.0).keep_model);  // a negated RMSE of 3
  EXPECT_TRUE(score.update(9.0, -2.0).keep_model);
  EXPECT_TRUE(score.update(0.1, -2.5).stop);
}

TEST(Fit, ReportsEveryMetricOfEveryPartAndSelectsByAChosenOne) {
  data::SyntheticOptions o;
  o.nodes = 400;
  o.valid = 100;
  o.test = 150;
  const data::Dataset d = data::make_csbm(o);
  nn::ModelSpec spec;
  spec.in_channels = d.num_features();
  spec.out_channels = d.num_classes;
  spec.heads = 2;
  TrainOptions t;
  t.max_epochs = 20;
  t.select = "macro_f1";
  std::string reported;
  Rng rng(3);
  auto model = nn::make_model<float>(spec, rng);
  const FitResult r = fit(*model, d, t, rng, [&](const EpochReport& e) { reported = e.metric; });
  EXPECT_EQ(reported, "macro_f1");
  for (const char* part : {"train", "valid", "test"}) {
    for (const char* m : {"accuracy", "micro_f1", "macro_f1", "loss"}) {
      ASSERT_TRUE(r.metrics.at(part).count(m)) << part << " " << m;
    }
  }
  EXPECT_DOUBLE_EQ(r.metrics.at("test").at("accuracy"), r.test_accuracy);
  EXPECT_DOUBLE_EQ(r.metrics.at("test").at("micro_f1"), r.test_accuracy);
  t.select = "rmse";
  Rng again(3);
  EXPECT_THROW(fit(*model, d, t, again), Error);
}

}  // namespace
}  // namespace heed::train
