// Determinism (issue #6): the same seed and thread count give bitwise the
// same loss curve and predictions, for every model kind; different thread
// counts agree to 1e-5.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "heed/data/synthetic.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/nn/model_spec.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/train/trainer.hpp"

namespace heed {
namespace {

struct TrainedRun {
  std::vector<double> losses;
  Tensor<float> log_probs;
};

const data::Dataset& dataset() {
  static const data::Dataset d = [] {
    data::SyntheticOptions s;
    s.nodes = 600;
    s.valid = 150;
    s.test = 300;
    return data::make_csbm(s);
  }();
  return d;
}

TrainedRun train_once(const nn::ModelSpec& base, int threads) {
  const int before = num_threads();
  set_num_threads(threads);
  const data::Dataset& d = dataset();
  nn::ModelSpec spec = base;
  spec.in_channels = d.num_features();
  spec.out_channels = d.num_classes;
  Rng rng(11);
  auto model = nn::make_model<float>(spec, rng);
  train::TrainOptions o;
  o.max_epochs = 15;
  TrainedRun run;
  train::fit(*model, d, o, rng,
             [&](const train::EpochReport& e) { run.losses.push_back(e.train_loss); });
  Tape<float> tape;
  const Graph graph = d.graph.with_self_loops();
  run.log_probs = model->forward(tape, d.x, graph, nn::ForwardContext{false, 0}).value();
  set_num_threads(before);
  return run;
}

std::vector<nn::ModelSpec> specs() {
  std::vector<nn::ModelSpec> all;
  for (const std::string& k : nn::conv_names()) {
    nn::ModelSpec s;
    s.model = k;
    all.push_back(s);
  }
  nn::ModelSpec deep;  // a stack with residuals and LayerNorm
  deep.layers = 3;
  deep.residual = true;
  deep.norm = nn::Normalisation::kLayer;
  all.push_back(deep);
  return all;
}

TEST(Determinism, SameSeedAndThreadsGiveBitwiseTheSameRun) {
  for (const nn::ModelSpec& spec : specs()) {
    const TrainedRun a = train_once(spec, 2), b = train_once(spec, 2);
    EXPECT_EQ(a.losses, b.losses) << spec.model << " " << spec.layers;
    ASSERT_EQ(a.log_probs.size(), b.log_probs.size());
    EXPECT_EQ(
        std::memcmp(a.log_probs.data(), b.log_probs.data(), a.log_probs.size() * sizeof(float)), 0)
        << spec.model << " " << spec.layers;
  }
}

TEST(Determinism, ThreadCountsAgreeToOneInAHundredThousand) {
  for (const nn::ModelSpec& spec : specs()) {
    const TrainedRun one = train_once(spec, 1);
    for (int threads : {2, 3}) {
      const TrainedRun many = train_once(spec, threads);
      ASSERT_EQ(one.losses.size(), many.losses.size());
      for (std::size_t k = 0; k < one.losses.size(); ++k) {
        EXPECT_NEAR(one.losses[k], many.losses[k], 1e-5 * std::max(1.0, std::abs(one.losses[k])))
            << spec.model << ", epoch " << k + 1 << ", " << threads << " threads";
      }
      for (std::size_t k = 0; k < one.log_probs.size(); ++k) {
        ASSERT_NEAR(one.log_probs.data()[k], many.log_probs.data()[k], 1e-5)
            << spec.model << ", element " << k << ", " << threads << " threads";
      }
    }
  }
}

}  // namespace
}  // namespace heed
