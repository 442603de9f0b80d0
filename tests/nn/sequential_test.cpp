// The sequential model against a dense reference written from the layers'
// equations (plain loops, double precision), its validation and its JSON.
#include "heed/nn/sequential.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "heed/error.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 4;
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 0}};

nn::ModuleSpec module(std::string kind, int in = 0, int out = 0) {
  nn::ModuleSpec m;
  m.kind = std::move(kind);
  m.layer.in_channels = in;
  m.layer.out_channels = out;
  return m;
}

// x (3 features) -> linear(3, 4) -> relu -> dropout -> gcn(4, 2)
nn::ModelSpec linear_relu_gcn() {
  nn::ModelSpec s;
  s.model = nn::kSequentialModel;
  s.in_channels = 3;
  s.out_channels = 2;
  nn::ModuleSpec drop = module("dropout");
  drop.layer.dropout = 0.5;
  s.modules = {module("linear", 3, 4), module("relu"), drop, module("gcn", 4, 2)};
  return s;
}

Graph looped_graph() {
  EdgeList e;
  for (auto [s, d] : kEdges) e.add(s, d);
  GraphOptions o;
  o.add_self_loops = true;
  return Graph(kNodes, e, o);
}

TEST(Sequential, MatchesADenseLinearReluGcn) {
  Rng rng(3);
  nn::Sequential<double> model(linear_relu_gcn(), rng);
  const auto params = model.parameters();
  ASSERT_EQ(params.size(), 4u);  // lin.weight, lin.bias, weight, bias
  EXPECT_EQ(params[0]->name, "lin.weight");
  EXPECT_EQ(model.module_parameters(3).size(), 2u);
  // Non-zero biases, so that each is checked.
  params[1]->value = Tensor<double>(1, 4, {0.1, -0.2, 0.3, -0.05});
  params[3]->value = Tensor<double>(1, 2, {0.25, -0.5});
  const Tensor<double> x = testing::random_tensor(kNodes, 3, 11);

  // h = relu(x W1 + b1); out = D^-1/2 (A + I) D^-1/2 h W2 + b2, D the
  // in-degrees with the self loop.
  const Tensor<double>& w1 = params[0]->value;
  const Tensor<double>& w2 = params[2]->value;
  double h[kNodes][4] = {};
  for (int n = 0; n < kNodes; ++n) {
    for (int c = 0; c < 4; ++c) {
      double v = params[1]->value(0, c);
      for (int k = 0; k < 3; ++k) v += x(n, k) * w1(k, c);
      h[n][c] = v > 0 ? v : 0;
    }
  }
  bool adj[kNodes][kNodes] = {};  // adj[i][j]: edge j -> i
  for (auto [s, d] : kEdges) adj[d][s] = true;
  double deg[kNodes] = {};
  for (int i = 0; i < kNodes; ++i) {
    adj[i][i] = true;
    for (int j = 0; j < kNodes; ++j) deg[i] += adj[i][j];
  }
  const Graph graph = looped_graph();
  Tape<double> tape;
  const nn::NodeFeatures<double> features(x);
  const Tensor<double> out =
      model.forward(tape, features, graph, nn::ForwardContext{false, 0}).value();
  ASSERT_EQ(out.rows(), std::size_t(kNodes));
  ASSERT_EQ(out.cols(), 2u);
  for (int i = 0; i < kNodes; ++i) {
    for (int c = 0; c < 2; ++c) {
      double want = params[3]->value(0, c);
      for (int j = 0; j < kNodes; ++j) {
        if (!adj[i][j]) continue;
        double hw = 0;
        for (int k = 0; k < 4; ++k) hw += h[j][k] * w2(k, c);
        want += hw / std::sqrt(deg[i] * deg[j]);
      }
      EXPECT_NEAR(out(i, c), want, 1e-12) << "node " << i << " column " << c;
    }
  }
  // Dropout acts in training only.
  Tape<double> train_tape;
  const Tensor<double> trained =
      model.forward(train_tape, features, graph, nn::ForwardContext{true, 7}).value();
  double diff = 0;
  for (std::size_t k = 0; k < out.size(); ++k)
    diff += std::abs(trained.values()[k] - out.values()[k]);
  EXPECT_GT(diff, 1e-6);
}

TEST(Sequential, GivesOneAttentionPerAttentionLayer) {
  nn::ModelSpec s;
  s.model = nn::kSequentialModel;
  s.in_channels = 3;
  s.out_channels = 2;
  nn::ModuleSpec gat1 = module("gat", 3, 2);
  gat1.layer.heads = 2;
  nn::ModuleSpec gat2 = module("gatv2", 4, 2);
  gat2.layer.heads = 3;
  gat2.layer.concat = false;
  s.modules = {gat1, module("elu"), module("linear", 4, 4), gat2};
  Rng rng(5);
  nn::Sequential<double> model(s, rng);
  const Graph graph = looped_graph();
  const Tensor<double> features = testing::random_tensor(kNodes, 3, 2);
  const nn::NodeFeatures<double> x(features);  // a view: the tensor must outlive it
  std::vector<nn::Attention<double>> attention;
  Tape<double> tape;
  const Tensor<double> out =
      model.forward(tape, x, graph, nn::ForwardContext{false, 0}, {.attention = &attention})
          .value();
  EXPECT_EQ(out.cols(), 2u);
  ASSERT_EQ(attention.size(), 2u);
  EXPECT_EQ(attention[0].alpha.cols(), 2u);
  EXPECT_EQ(attention[1].alpha.cols(), 3u);
  // Each destination's coefficients are a softmax: they sum to one per head.
  for (const auto& layer : attention) {
    for (int i = 0; i < kNodes; ++i) {
      for (int h = 0; h < int(layer.alpha.cols()); ++h) {
        double total = 0;
        for (auto [j, a] : layer.in_edges(i, h)) total += a;
        EXPECT_NEAR(total, 1.0, 1e-12);
      }
    }
  }
}

std::string error_of(const nn::ModelSpec& s) {
  try {
    s.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Sequential, ValidatesEachModuleAgainstTheOneBefore) {
  EXPECT_EQ(error_of(linear_relu_gcn()), "");
  nn::ModelSpec s = linear_relu_gcn();
  s.modules[3].layer.in_channels = 5;
  EXPECT_NE(error_of(s).find("module 3: in_channels is 5, but the module before gives 4"),
            std::string::npos)
      << error_of(s);
  s = linear_relu_gcn();
  s.modules[0].name = "lin1";
  s.modules[0].layer.in_channels = 2;
  EXPECT_NE(error_of(s).find("module 0 (lin1): in_channels is 2, but the model takes 3"),
            std::string::npos)
      << error_of(s);
  s = linear_relu_gcn();
  s.out_channels = 3;
  EXPECT_NE(error_of(s).find("the last module gives 2 features, but out_channels is 3"),
            std::string::npos);
  s = linear_relu_gcn();
  s.modules[1].kind = "softplus";
  EXPECT_NE(error_of(s).find("unknown kind 'softplus'"), std::string::npos);
  s = linear_relu_gcn();
  s.modules[3].layer.options["share_weights"] = 1;
  EXPECT_NE(error_of(s).find("conv option 'share_weights' is not one of gcn's"), std::string::npos);
  s = linear_relu_gcn();
  s.modules.clear();
  EXPECT_NE(error_of(s).find("at least one module"), std::string::npos);
  nn::ModelSpec stack;  // a GNN stack has no modules
  stack.in_channels = 3;
  stack.out_channels = 2;
  stack.modules = linear_relu_gcn().modules;
  EXPECT_NE(error_of(stack).find("modules apply to a sequential model only"), std::string::npos);
}

TEST(Sequential, SpecSurvivesJson) {
  nn::ModelSpec s = linear_relu_gcn();
  s.modules[0].name = "lin1";
  s.modules[3].layer.options["normalize"] = 0;
  nlohmann::json j = s;
  const nn::ModelSpec back = nn::model_spec_from_json(j, "test");
  ASSERT_EQ(back.modules.size(), s.modules.size());
  for (std::size_t k = 0; k < s.modules.size(); ++k) {
    EXPECT_EQ(back.modules[k].kind, s.modules[k].kind);
    EXPECT_EQ(back.modules[k].name, s.modules[k].name);
    EXPECT_EQ(back.modules[k].layer.in_channels, s.modules[k].layer.in_channels);
    EXPECT_EQ(back.modules[k].layer.out_channels, s.modules[k].layer.out_channels);
    EXPECT_EQ(back.modules[k].layer.dropout, s.modules[k].layer.dropout);
    EXPECT_EQ(back.modules[k].layer.options, s.modules[k].layer.options);
  }
  j["modules"][3]["in_channels"] = 9;
  EXPECT_THROW(nn::model_spec_from_json(j, "test"), Error);
}

}  // namespace
}  // namespace heed
