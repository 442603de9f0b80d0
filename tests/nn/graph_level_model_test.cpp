// Graph-level models: a stack, a readout and an MLP head. Batching many
// graphs into one block-diagonal graph must be invisible: each graph's
// output row equals the one it gets alone (in double, every readout, with
// and without edge features). Settings that do not apply are rejected.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "heed/error.hpp"
#include "heed/graph/graph_batch.hpp"
#include "heed/nn/graph_identity.hpp"
#include "heed/nn/graph_transformer.hpp"
#include "heed/nn/model.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

// Three graphs of 3, 1 and 4 nodes, with self loops (as the model wants).
GraphBatch three_graphs() {
  EdgeList e;
  for (auto [a, b] :
       std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {4, 5}, {5, 6}, {6, 7}, {7, 4}, {5, 7}}) {
    e.add(a, b);
    e.add(b, a);
  }
  GraphOptions o;
  o.add_self_loops = true;
  return batch_from_graph_ids(Graph(8, e, o), std::vector<std::int64_t>{0, 0, 0, 1, 2, 2, 2, 2});
}

nn::ModelSpec graph_spec(const std::string& model, nn::Readout readout, int edge_dim) {
  nn::ModelSpec s;
  s.model = model;
  s.in_channels = 5;
  s.out_channels = 3;
  s.hidden_channels = 4;
  s.heads = 2;
  s.layers = 2;
  s.readout = readout;
  s.edge_dim = edge_dim;
  s.head_hidden = 6;
  return s;
}

void expect_batching_is_invisible(const nn::ModelSpec& spec) {
  Rng rng(7);
  auto model = nn::make_model<double>(spec, rng);
  const GraphBatch all = three_graphs();
  const Tensor<double> x = testing::random_tensor(8, 5, 3);
  const Tensor<double> edges =
      testing::random_tensor(std::size_t(all.graph.num_edges()), std::size_t(spec.edge_dim), 4);
  Tape<double> tape(Tape<double>::Gradients::kOff);
  const nn::NodeFeatures<double> features(x);
  const Tensor<double> together =
      model
          ->forward(tape,
                    {&all.graph, &features, spec.edge_dim > 0 ? &edges : nullptr, all.node_offsets},
                    nn::ForwardContext{false, 0})
          .value();
  ASSERT_EQ(together.rows(), 3u);
  for (std::int64_t g = 0; g < 3; ++g) {
    const std::vector<std::int64_t> one = {g};
    const GraphBatch alone = select_graphs(all, one);
    const Tensor<double> x_g = gather_blocks(x, all.node_offsets, one);
    const Tensor<double> e_g = gather_blocks(edges, all.edge_offsets, one);
    const nn::NodeFeatures<double> f_g(x_g);
    Tape<double> t(Tape<double>::Gradients::kOff);
    const Tensor<double> out =
        model
            ->forward(t,
                      {&alone.graph, &f_g, spec.edge_dim > 0 ? &e_g : nullptr, alone.node_offsets},
                      nn::ForwardContext{false, 0})
            .value();
    for (std::size_t c = 0; c < 3; ++c) {
      EXPECT_NEAR(together(std::size_t(g), c), out(0, c), 1e-12)
          << spec.model << " " << nn::name_of(spec.readout) << " graph " << g;
    }
  }
}

TEST(GraphLevelModel, BatchingIsInvisibleForEveryReadout) {
  for (nn::Readout r :
       {nn::Readout::kSum, nn::Readout::kMean, nn::Readout::kMax, nn::Readout::kAttention}) {
    expect_batching_is_invisible(graph_spec("gat", r, 0));
  }
  expect_batching_is_invisible(graph_spec("gin", nn::Readout::kSum, 0));
  expect_batching_is_invisible(graph_spec("gcn", nn::Readout::kMean, 0));
}

TEST(GraphLevelModel, BatchingIsInvisibleWithAReadoutOfEveryLayer) {
  nn::ModelSpec s = graph_spec("gin", nn::Readout::kSum, 0);
  s.readout_every_layer = true;
  expect_batching_is_invisible(s);
  s = graph_spec("gat", nn::Readout::kAttention, 0);
  s.readout_every_layer = true;
  expect_batching_is_invisible(s);
}

TEST(GraphLevelModel, AReadoutOfEveryLayerConcatenatesEachLayersPooling) {
  // With every head block but the input's zero, the output is the head on
  // the input's pooled features alone: head.1(relu(sum_{i in g} x_i W + b)),
  // worked out here by hand.
  nn::ModelSpec spec = graph_spec("gin", nn::Readout::kSum, 0);
  spec.readout_every_layer = true;
  spec.layers = 3;
  Rng rng(4);
  auto model = nn::make_model<double>(spec, rng);
  std::map<std::string, Parameter<double>*> p;
  for (Parameter<double>* q : model->parameters()) p[q->name] = q;
  // Blocks for the input (.0), layers 1 and 2 (.1, .2) and the last layer
  // (the single-input name, with the bias).
  for (const char* name : {"head.0.0.weight", "head.0.1.weight", "head.0.2.weight", "head.0.weight",
                           "head.0.bias", "head.1.weight", "head.1.bias"}) {
    ASSERT_TRUE(p.count(name)) << name;
  }
  for (const char* zero : {"head.0.1.weight", "head.0.2.weight", "head.0.weight"}) {
    p[zero]->value.fill(0.0);
  }
  Tensor<double>& b0 = p["head.0.bias"]->value;
  for (std::size_t c = 0; c < b0.cols(); ++c) b0(0, c) = 0.1 * double(c) - 0.2;
  const Tensor<double>& w0 = p["head.0.0.weight"]->value;  // 5 x 6
  const Tensor<double>& w1 = p["head.1.weight"]->value;    // 6 x 3
  const Tensor<double> x = testing::random_tensor(8, 5, 12);
  const GraphBatch all = three_graphs();
  const nn::NodeFeatures<double> features(x);
  Tape<double> tape(Tape<double>::Gradients::kOff);
  const Tensor<double> out = model
                                 ->forward(tape, {&all.graph, &features, nullptr, all.node_offsets},
                                           nn::ForwardContext{false, 0})
                                 .value();
  for (std::size_t g = 0; g < 3; ++g) {
    std::vector<double> pooled(5, 0.0), hidden(6, 0.0);
    for (std::int64_t i = all.node_offsets[g]; i < all.node_offsets[g + 1]; ++i) {
      for (std::size_t f = 0; f < 5; ++f) pooled[f] += x(std::size_t(i), f);
    }
    for (std::size_t h = 0; h < 6; ++h) {
      hidden[h] = b0(0, h);
      for (std::size_t f = 0; f < 5; ++f) hidden[h] += pooled[f] * w0(f, h);
      hidden[h] = std::max(hidden[h], 0.0);
    }
    for (std::size_t c = 0; c < 3; ++c) {
      double expected = p["head.1.bias"]->value(0, c);
      for (std::size_t h = 0; h < 6; ++h) expected += hidden[h] * w1(h, c);
      EXPECT_NEAR(out(g, c), expected, 1e-12) << "graph " << g << " output " << c;
    }
  }
}

TEST(GraphLevelModel, BatchingIsInvisibleWithEdgeFeatures) {
  expect_batching_is_invisible(graph_spec("gat", nn::Readout::kMean, 3));
  expect_batching_is_invisible(graph_spec("gatv2", nn::Readout::kAttention, 2));
}

TEST(GraphLevelModel, AttentionPoolingWeightsSumToOnePerGraph) {
  Rng rng(8);
  auto model = nn::make_model<double>(graph_spec("gat", nn::Readout::kAttention, 0), rng);
  const GraphBatch all = three_graphs();
  const Tensor<double> x = testing::random_tensor(8, 5, 5);
  const nn::NodeFeatures<double> features(x);
  Tensor<double> pooling;
  Tape<double> tape(Tape<double>::Gradients::kOff);
  model->forward(tape, {&all.graph, &features, nullptr, all.node_offsets},
                 nn::ForwardContext{false, 0}, {.pooling = &pooling});
  ASSERT_EQ(pooling.rows(), 8u);
  for (std::int64_t g = 0; g < 3; ++g) {
    double sum = 0;
    for (std::int64_t i = all.node_offsets[std::size_t(g)];
         i < all.node_offsets[std::size_t(g) + 1]; ++i) {
      EXPECT_GT(pooling(std::size_t(i), 0), 0.0);
      sum += pooling(std::size_t(i), 0);
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
}

// The whole model's loss, sum(R .* out), against central differences in a
// few parameters of each kind (conv, gate, head).
void expect_gradients_match_finite_differences(const nn::ModelSpec& spec) {
  Rng rng(9);
  auto model = nn::make_model<double>(spec, rng);
  // Biases start at zero: a row of ReLU outputs that are all zero would put
  // the next ReLU exactly on its kink, where differences are one-sided.
  for (Parameter<double>* p : model->parameters()) {
    if (p->name.ends_with(".bias")) {
      for (double& v : p->value.values()) v = rng.uniform(-0.5, 0.5);
    }
  }
  const GraphBatch all = three_graphs();
  const Tensor<double> x = testing::random_tensor(8, 5, 6);
  const nn::NodeFeatures<double> features(x);
  const Tensor<double> r = testing::random_tensor(3, 3, 10);
  auto loss = [&](bool backward) {
    Tape<double> tape;
    Var<double> out = model->forward(tape, {&all.graph, &features, nullptr, all.node_offsets},
                                     nn::ForwardContext{true, 1});
    Var<double> l = testing::weighted_sum(out, r);
    if (backward) tape.backward(l);
    return l.value()(0, 0);
  };
  for (Parameter<double>* p : model->parameters()) p->zero_grad();
  loss(true);
  for (Parameter<double>* p : model->parameters()) {
    for (std::size_t k = 0; k < p->value.size(); k += 7) {
      const double keep = p->value.data()[k];
      p->value.data()[k] = keep + 1e-6;
      const double up = loss(false);
      p->value.data()[k] = keep - 1e-6;
      const double down = loss(false);
      p->value.data()[k] = keep;
      EXPECT_NEAR(p->grad.data()[k], (up - down) / 2e-6, 1e-6)
          << spec.model << " " << p->name << " " << k;
    }
  }
}

TEST(GraphLevelModel, ParameterGradientsMatchFiniteDifferences) {
  nn::ModelSpec spec = graph_spec("gat", nn::Readout::kAttention, 0);
  spec.dropout = 0;
  spec.attention_dropout = 0;
  expect_gradients_match_finite_differences(spec);
  // Every layer's pooling, each with its own attention gate.
  spec.readout_every_layer = true;
  expect_gradients_match_finite_differences(spec);
  spec = graph_spec("gin", nn::Readout::kSum, 0);
  spec.dropout = 0;
  expect_gradients_match_finite_differences(spec);
  spec.readout_every_layer = true;
  expect_gradients_match_finite_differences(spec);
}

// The transformer as a graph-level model: attention on each graph's edges,
// and each graph's own Laplacian encodings, so a batch is again invisible.
nn::ModelSpec transformer_spec(nn::Readout readout, int laplacian_k) {
  nn::ModelSpec s = graph_spec("transformer", readout, 0);
  s.laplacian_k = laplacian_k;
  s.dropout = 0;
  s.attention_dropout = 0;
  return s;
}

TEST(GraphLevelModel, BatchingIsInvisibleForTheTransformer) {
  expect_batching_is_invisible(transformer_spec(nn::Readout::kMean, 0));
  expect_batching_is_invisible(transformer_spec(nn::Readout::kSum, 2));
  nn::ModelSpec pre = transformer_spec(nn::Readout::kAttention, 2);
  pre.norm_first = true;
  expect_batching_is_invisible(pre);
}

TEST(GraphLevelModel, TransformerGradientsMatchFiniteDifferences) {
  expect_gradients_match_finite_differences(transformer_spec(nn::Readout::kAttention, 2));
  expect_gradients_match_finite_differences(transformer_spec(nn::Readout::kMean, 0));
}

TEST(GraphLevelModel, DenseAttentionOverABatchOfGraphsIsRefused) {
  nn::ModelSpec s = transformer_spec(nn::Readout::kSum, 0);
  s.attention = nn::AttentionMode::kDense;
  Rng rng(3);
  auto model = nn::make_model<double>(s, rng);
  const GraphBatch all = three_graphs();
  const Tensor<double> x = testing::random_tensor(8, 5, 6);
  const nn::NodeFeatures<double> features(x);
  Tape<double> tape(Tape<double>::Gradients::kOff);
  try {
    model->forward(tape, {&all.graph, &features, nullptr, all.node_offsets},
                   nn::ForwardContext{false, 0});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("would attend across graphs"), std::string::npos)
        << e.what();
  }
  // One graph at a time, dense attention is attention on the graph made
  // complete: the sparse path on the complete graph gives the same row.
  const std::vector<std::int64_t> first = {2};
  const GraphBatch alone = select_graphs(all, first);
  const Tensor<double> x_g = gather_blocks(x, all.node_offsets, first);
  const nn::NodeFeatures<double> f_g(x_g);
  const Tensor<double> dense =
      model->forward(tape, {&alone.graph, &f_g, nullptr, alone.node_offsets}, {false, 0}).value();
  EdgeList complete;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) complete.add(i, j);
  }
  const Graph k4(4, complete);
  dynamic_cast<nn::GraphTransformer<double>&>(*model).set_attention(nn::AttentionMode::kGraph);
  const Tensor<double> sparse =
      model->forward(tape, {&k4, &f_g, nullptr, alone.node_offsets}, {false, 0}).value();
  ASSERT_EQ(dense.rows(), 1u);
  for (std::size_t c = 0; c < dense.cols(); ++c) EXPECT_NEAR(dense(0, c), sparse(0, c), 1e-12);
}

// Batch normalisation after every layer (the GIN paper's): batch statistics
// in training, so the gradient check runs there; the running ones in
// evaluation, where batching is again invisible.
TEST(GraphLevelModel, BatchNormGradientsAndEvaluation) {
  nn::ModelSpec spec = graph_spec("gin", nn::Readout::kSum, 0);
  spec.norm = nn::Normalisation::kBatch;
  spec.dropout = 0;
  expect_gradients_match_finite_differences(spec);
  expect_batching_is_invisible(spec);
  spec.readout_every_layer = true;
  expect_gradients_match_finite_differences(spec);
}

TEST(GraphLevelModel, BatchNormRunningStatisticsFollowTrainingOnly) {
  nn::ModelSpec spec = graph_spec("gin", nn::Readout::kMean, 0);
  spec.norm = nn::Normalisation::kBatch;
  Rng rng(4);
  auto model = nn::make_model<double>(spec, rng);
  Parameter<double>* mean = nullptr;
  for (Parameter<double>* p : model->parameters()) {
    if (p->name == "norm_running_mean" && mean == nullptr) mean = p;
  }
  ASSERT_NE(mean, nullptr);
  const GraphBatch all = three_graphs();
  const Tensor<double> x = testing::random_tensor(8, 5, 6);
  const nn::NodeFeatures<double> features(x);
  auto pass = [&](bool training) {
    Tape<double> tape(Tape<double>::Gradients::kOff);
    model->forward(tape, {&all.graph, &features, nullptr, all.node_offsets}, {training, 1});
  };
  pass(false);
  for (double v : mean->value.values()) EXPECT_EQ(v, 0.0);
  pass(true);
  double moved = 0;
  for (double v : mean->value.values()) moved = std::max(moved, std::abs(v));
  EXPECT_GT(moved, 0.0);
}

TEST(GraphLevelModel, SettingsThatDoNotApplyAreRejected) {
  nn::ModelSpec s = graph_spec("gat", nn::Readout::kNone, 0);
  EXPECT_THROW(s.validate(), Error);  // head_hidden without a readout
  s = graph_spec("transformer", nn::Readout::kMean, 0);
  s.readout_every_layer = true;
  EXPECT_THROW(s.validate(), Error);  // the transformer pools its last block only
  s.readout_every_layer = false;
  EXPECT_NO_THROW(s.validate());
  s = graph_spec("gin", nn::Readout::kNone, 0);
  s.head_hidden = 0;
  s.readout_every_layer = true;
  EXPECT_THROW(s.validate(), Error);  // no readout to take from every layer
  Rng rng(1);
  auto model = nn::make_model<double>(graph_spec("gat", nn::Readout::kMean, 0), rng);
  const GraphBatch all = three_graphs();
  const Tensor<double> x = testing::random_tensor(8, 5, 6);
  Tape<double> tape;
  try {
    model->forward(tape, x, all.graph, nn::ForwardContext{false, 0});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "gat with a mean readout: the input needs its graphs' node offsets");
  }
}

TEST(GraphIdentity, AGraphRebuiltInPlaceIsANewGraph) {
  // Same address, same sizes, so the same buffers after the copy: only the
  // fingerprint tells them apart. Batches of graphs do this every step.
  EdgeList a, b;
  a.add(0, 1);
  a.add(1, 2);
  b.add(2, 0);
  b.add(0, 1);
  const Graph other(3, b);
  Graph h(3, a);
  nn::GraphIdentity id;
  id.remember(h);
  EXPECT_TRUE(id.same(h));
  const NodeId* buffer = h.in().indices.data();
  h = other;  // copy-assigned: vectors of equal size keep their buffers
  EXPECT_EQ(h.in().indices.data(), buffer);
  EXPECT_FALSE(id.same(h));
}

TEST(GraphLevelModel, AGcnStackSeesEachNewBatchGraph) {
  // Its degree scales are cached by graph: a batch graph built where the
  // last one was must not reuse them.
  nn::ModelSpec spec = graph_spec("gcn", nn::Readout::kSum, 0);
  Rng rng(3);
  auto model = nn::make_model<double>(spec, rng);
  const GraphBatch all = three_graphs();
  const Tensor<double> x = testing::random_tensor(8, 5, 6);
  auto run = [&](const GraphBatch& b, const Tensor<double>& rows) {
    const nn::NodeFeatures<double> f(rows);
    Tape<double> t(Tape<double>::Gradients::kOff);
    return model->forward(t, {&b.graph, &f, nullptr, b.node_offsets}, nn::ForwardContext{false, 0})
        .value();
  };
  const std::vector<std::int64_t> first = {0, 2}, second = {2, 0};
  const Tensor<double> want =
      run(select_graphs(all, second), gather_blocks(x, all.node_offsets, second));
  GraphBatch slot = select_graphs(all, first);
  run(slot, gather_blocks(x, all.node_offsets, first));
  slot = select_graphs(all, second);  // same sizes, same place
  const Tensor<double> got = run(slot, gather_blocks(x, all.node_offsets, second));
  for (std::size_t k = 0; k < want.size(); ++k) EXPECT_EQ(got.data()[k], want.data()[k]);
}

TEST(GraphLevelModel, ReadoutSettingsRoundTripThroughJson) {
  const nn::ModelSpec s = graph_spec("gin", nn::Readout::kMax, 0);
  nlohmann::json j;
  to_json(j, s);
  const nn::ModelSpec back = nn::model_spec_from_json(j, "test");
  EXPECT_EQ(back.readout, nn::Readout::kMax);
  EXPECT_EQ(back.head_hidden, 6);
  EXPECT_FALSE(back.readout_every_layer);
  nn::ModelSpec every = s;
  every.readout_every_layer = true;
  nlohmann::json j_every;
  to_json(j_every, every);
  EXPECT_TRUE(nn::model_spec_from_json(j_every, "test").readout_every_layer);
  j.erase("readout");
  j.erase("head_hidden");
  j.erase("readout_every_layer");
  EXPECT_EQ(nn::model_spec_from_json(j, "test").readout, nn::Readout::kNone);
}

}  // namespace
}  // namespace heed
