// Every registered conv as the papers' two-layer model (a GNNStack built from
// a ModelSpec): logits of the right shape, and a few steps of Adam on a
// synthetic graph lower the training loss.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "heed/autograd/ops.hpp"
#include "heed/data/synthetic.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/nn/model.hpp"
#include "heed/optim/adam.hpp"

namespace heed {
namespace {

data::Dataset small_graph() {
  data::SyntheticOptions o;
  o.nodes = 600;
  o.features = 16;
  o.signal = 0.6;
  return data::make_csbm(o);
}

void check_trains(const std::string& model) {
  const data::Dataset d = small_graph();
  nn::ModelSpec spec;
  spec.model = model;
  spec.in_channels = d.num_features();
  spec.out_channels = d.num_classes;
  spec.heads = 4;
  spec.hidden_channels = model == "gatv2" || model == "gat" ? 8 : 16;
  spec.dropout = spec.attention_dropout = 0.5;
  Rng rng(1);
  const std::unique_ptr<nn::Model<float>> net = nn::make_model<float>(spec, rng);
  const Graph graph = d.graph.with_self_loops();
  const nn::NodeFeatures<float> x(d.x);
  const std::vector<NodeId>& train = d.split("public").train;
  std::vector<std::int32_t> classes;
  for (NodeId r : train) classes.push_back(d.y[std::size_t(r)]);
  optim::Adam<float> adam(net->parameters(), optim::AdamOptions{.lr = 0.01});
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    adam.zero_grad();
    Tape<float> tape;
    Var<float> out = net->forward(tape, x, graph, nn::ForwardContext{true, rng.next_key()});
    ASSERT_EQ(out.value().rows(), std::size_t(d.num_nodes()));
    ASSERT_EQ(out.value().cols(), std::size_t(d.num_classes));
    Var<float> loss = ops::cross_entropy(out, std::span<const NodeId>(train),
                                         std::span<const std::int32_t>(classes));
    if (step == 0) first = loss.value()(0, 0);
    last = loss.value()(0, 0);
    tape.backward(loss);
    adam.step();
  }
  EXPECT_LT(last, 0.7 * first) << model;
}

TEST(NodeModels, EveryRegisteredConvTrainsAsATwoLayerModel) {
  ASSERT_GE(nn::registered_convs().size(), 5u);
  for (const nn::ConvInfo& c : nn::registered_convs()) check_trains(c.traits.name);
}

}  // namespace
}  // namespace heed
