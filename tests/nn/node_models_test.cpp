// The baseline and GATv2 models: log-probabilities of the right shape, and a
// few steps of Adam on a synthetic graph lower the training loss.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "heed/data/synthetic.hpp"
#include "heed/nn/gatv2.hpp"
#include "heed/nn/gcn.hpp"
#include "heed/nn/graph_sage.hpp"
#include "heed/optim/adam.hpp"

namespace heed {
namespace {

void check_model(nn::NodeModel<float>& model, const data::Dataset& d) {
  const Graph graph = d.graph.with_self_loops();
  const nn::NodeFeatures<float> x(d.x);
  const std::span<const NodeId> train(d.split("public").train);
  optim::Adam<float> adam(model.parameters(), optim::AdamOptions{.lr = 0.01});
  Rng rng(3);
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    adam.zero_grad();
    Tape<float> tape;
    Var<float> logp = model.forward(tape, x, graph, nn::ForwardContext{true, rng.next_key()});
    ASSERT_EQ(logp.value().rows(), std::size_t(d.num_nodes()));
    ASSERT_EQ(logp.value().cols(), std::size_t(d.num_classes));
    Var<float> loss = ops::nll_loss(logp, std::span<const std::int32_t>(d.y), train);
    if (step == 0) first = loss.value()(0, 0);
    last = loss.value()(0, 0);
    tape.backward(loss);
    adam.step();
  }
  EXPECT_LT(last, 0.7 * first) << model.name();
  // Without dropout each row is a distribution.
  Tape<float> tape;
  const Tensor<float> logp = model.forward(tape, x, graph, nn::ForwardContext{false, 0}).value();
  for (std::size_t i = 0; i < logp.rows(); i += 97) {
    double total = 0;
    for (std::size_t c = 0; c < logp.cols(); ++c) total += std::exp(double(logp(i, c)));
    EXPECT_NEAR(total, 1.0, 1e-4) << model.name() << " row " << i;
  }
}

data::Dataset small_graph() {
  data::SyntheticOptions o;
  o.nodes = 600;
  o.features = 16;
  o.signal = 0.6;
  return data::make_csbm(o);
}

TEST(NodeModels, GcnTrains) {
  const data::Dataset d = small_graph();
  Rng rng(1);
  nn::GCN<float> model(nn::GCNOptions{d.num_features(), 16, d.num_classes, 0.5}, rng);
  check_model(model, d);
}

TEST(NodeModels, GraphSageTrains) {
  const data::Dataset d = small_graph();
  Rng rng(1);
  nn::GraphSAGE<float> model(nn::GraphSAGEOptions{d.num_features(), 16, d.num_classes, 0.5}, rng);
  check_model(model, d);
}

TEST(NodeModels, Gatv2Trains) {
  const data::Dataset d = small_graph();
  nn::GATOptions o;
  o.in_channels = d.num_features();
  o.out_channels = d.num_classes;
  o.heads = 4;
  o.hidden_channels = 8;
  Rng rng(1);
  nn::GATv2<float> model(o, rng);
  check_model(model, d);
}

}  // namespace
}  // namespace heed
