// PyG model folders: a model PyG trained reproduces PyG's own logits and
// attention (the pyg-gat-cora fixture), a folder laid out by hand gives the
// outputs worked out by hand, export then import gives the same logits, and
// every damaged folder is refused with the module and the reason.
#include "heed/interop/pyg_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "heed/data/dataset.hpp"
#include "heed/data/safetensors.hpp"
#include "heed/error.hpp"
#include "heed/nn/model.hpp"
#include "support/random_inputs.hpp"
#include "support/text_lines.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;

std::string scientific(double v) {
  std::ostringstream out;
  out << std::scientific << std::setprecision(2) << v;
  return out.str();
}

// A forward pass in eval mode, and the attention of every layer.
Tensor<float> eval_logits(const train::Checkpoint& c, const Tensor<float>& x, const Graph& graph,
                          std::vector<nn::Attention<float>>* attention = nullptr,
                          const Tensor<float>* edge_attr = nullptr) {
  std::unique_ptr<nn::Model<float>> model = train::restore_model(c, "test");
  Tape<float> tape;
  const nn::NodeFeatures<float> features(x);
  return model
      ->forward(tape, {&graph, &features, edge_attr, {}}, nn::ForwardContext{false, 0},
                {.attention = attention})
      .value();
}

TEST(PygImport, ReproducesPyGsGatOnCora) {
  const fs::path fixture = fs::path(HEED_TEST_FIXTURES_DIR) / "pyg-gat-cora";
  const fs::path cora = fs::path(HEED_TEST_DATA_DIR) / "cora";
  if (!fs::exists(fixture / "model.json") || !fs::exists(cora)) {
    GTEST_SKIP() << "needs " << fixture << " and " << cora;
  }
  const train::Checkpoint c = interop::import_pyg(fixture);
  EXPECT_EQ(c.spec.model, "sequential");
  ASSERT_EQ(c.spec.modules.size(), 3u);
  EXPECT_EQ(c.spec.modules[0].kind, "gat");
  EXPECT_EQ(c.spec.modules[0].layer.heads, 8);
  EXPECT_FALSE(c.spec.modules[2].layer.concat);
  EXPECT_NE(c.metadata.find("\"normalise_features\":true"), std::string::npos) << c.metadata;

  const data::Dataset d = data::load_dataset(cora.string(), data::LoadOptions{true});
  std::vector<nn::Attention<float>> attention;
  const Tensor<float> logits = eval_logits(c, d.x, d.graph, &attention);

  const std::vector<std::string> want = testing::text_lines(fixture / "logits.csv.gz");
  ASSERT_EQ(want.size(), std::size_t(d.graph.num_nodes()));
  ASSERT_EQ(logits.cols(), 7u);
  double worst = 0;
  int argmax_differs = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::vector<double> row = testing::csv_numbers(want[i]);
    ASSERT_EQ(row.size(), 7u);
    std::size_t best_pyg = 0, best_heed = 0;
    for (std::size_t k = 0; k < 7; ++k) {
      worst = std::max(worst, std::abs(row[k] - double(logits(i, k))));
      if (row[k] > row[best_pyg]) best_pyg = k;
      if (logits(i, k) > logits(i, best_heed)) best_heed = k;
    }
    argmax_differs += best_pyg != best_heed;
  }
  EXPECT_LE(worst, 1e-4) << "largest logit difference";
  EXPECT_EQ(argmax_differs, 0);
  RecordProperty("max_abs_logit_difference", scientific(worst));

  // Attention: PyG's edges in input order, then its self loops; matched
  // here by (src, dst), each of which occurs once.
  ASSERT_EQ(attention.size(), 2u);
  for (int layer = 0; layer < 2; ++layer) {
    const std::vector<std::string> lines =
        testing::text_lines(fixture / ("attention-conv" + std::to_string(layer + 1) + ".csv.gz"));
    const nn::Attention<float>& a = attention[std::size_t(layer)];
    std::map<std::pair<NodeId, NodeId>, EdgeId> edge_of;
    const std::span<const NodeId> src = a.graph.edge_src();
    const std::vector<NodeId> dst = a.graph.edge_dst();
    for (std::size_t e = 0; e < src.size(); ++e) edge_of[{src[e], dst[e]}] = EdgeId(e);
    ASSERT_EQ(lines.size() - 1, src.size()) << "edges, self loops included";
    double worst_alpha = 0;
    for (std::size_t k = 1; k < lines.size(); ++k) {
      const std::vector<double> row = testing::csv_numbers(lines[k]);
      ASSERT_EQ(row.size(), 2 + a.alpha.cols());
      auto it = edge_of.find({NodeId(row[0]), NodeId(row[1])});
      ASSERT_NE(it, edge_of.end()) << lines[k];
      for (std::size_t h = 0; h < a.alpha.cols(); ++h) {
        worst_alpha = std::max(worst_alpha,
                               std::abs(row[2 + h] - double(a.alpha(std::size_t(it->second), h))));
      }
    }
    EXPECT_LE(worst_alpha, 1e-5) << "layer " << layer;
    RecordProperty("max_abs_attention_difference_conv" + std::to_string(layer + 1),
                   scientific(worst_alpha));
  }
}

class PygFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heed-pyg-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const nlohmann::json& description, const data::SafetensorsFile& weights) {
    std::ofstream(dir_ / "model.json") << description.dump();
    data::save_safetensors(dir_ / "model.safetensors", weights);
  }
  std::string import_error() {
    try {
      interop::import_pyg(dir_);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

// Linear(3, 2) -> ReLU -> Linear(2, 1), as torch lays it out: W is out x in.
nlohmann::json mlp_description() {
  return {{"layers",
           {{{"name", "lin1"}, {"cls", "Linear"}, {"in_features", 3}, {"out_features", 2}},
            {{"name", "act"}, {"cls", "ReLU"}},
            {{"name", "lin2"}, {"cls", "Linear"}, {"in_features", 2}, {"out_features", 1}}}}};
}
data::SafetensorsFile mlp_weights() {
  data::SafetensorsFile w;
  const std::vector<float> w1{1,   0, -1,  // out 0
                              0.5, 2, 0};  // out 1
  const std::vector<float> b1{0.5, -1}, w2{2, -3}, b2{0.25};
  w.tensors["lin1.weight"] = data::SafeTensor::from_floats(w1, {2, 3});
  w.tensors["lin1.bias"] = data::SafeTensor::from_floats(b1, {2});
  w.tensors["lin2.weight"] = data::SafeTensor::from_floats(w2, {1, 2});
  w.tensors["lin2.bias"] = data::SafeTensor::from_floats(b2, {1});
  return w;
}

TEST_F(PygFolder, ALinearStackLaidOutByHandGivesTheHandWorkedOutputs) {
  write(mlp_description(), mlp_weights());
  const train::Checkpoint c = interop::import_pyg(dir_);
  const Tensor<float> x(2, 3, {1, 2, 3, -1, 0.5, 0});
  const Graph graph(2, EdgeList{});
  const Tensor<float> y = eval_logits(c, x, graph);
  // Node 0: h = relu([1 - 3 + 0.5, 0.5 + 4 - 1]) = [0, 3.5]; y = -10.5 + 0.25.
  // Node 1: h = relu([-1 + 0.5, -0.5 + 1 - 1]) = [0, 0]; y = 0.25.
  ASSERT_EQ(y.rows(), 2u);
  ASSERT_EQ(y.cols(), 1u);
  EXPECT_FLOAT_EQ(y(0, 0), -10.25f);
  EXPECT_FLOAT_EQ(y(1, 0), 0.25f);
}

TEST_F(PygFolder, RefusesWhatItCannotRunWithTheModuleAndTheReason) {
  struct Case {
    std::function<void(nlohmann::json&, data::SafetensorsFile&)> damage;
    const char* problem;
  };
  const Case cases[] = {
      {[](auto& d, auto&) { d["layers"][1]["cls"] = "GINConv"; },
       "layer 1 (act): GINConv is not supported (heed imports GATConv"},
      {[](auto& d, auto&) { d["layers"][0]["alpha"] = 3; },
       "layer 0 (lin1): Linear argument 'alpha' is not supported"},
      {[](auto& d, auto&) { d["layers"][2]["in_features"] = 5; },
       "module 2 (lin2): in_channels is 5, but the module before gives 2"},
      {[](auto&, auto& w) { w.tensors.erase("lin2.bias"); }, "no tensor 'lin2.bias'"},
      {[](auto&, auto& w) {
         const std::vector<float> v{1, 2, 3, 4, 5, 6};
         w.tensors["lin1.weight"] = data::SafeTensor::from_floats(v, {3, 2});
       },
       "tensor 'lin1.weight' has shape [3, 2], the model needs [2, 3]"},
      {[](auto&, auto& w) {
         const std::vector<float> v{1};
         w.tensors["lin3.weight"] = data::SafeTensor::from_floats(v, {1});
       },
       "tensors that no layer of model.json uses: lin3.weight"},
      {[](auto& d, auto&) { d.erase("layers"); }, "has no list of layers"},
      {[](auto& d, auto&) {
         d["layers"][0].erase("in_features");
         d["layers"][0].erase("out_features");
       },
       "Linear needs the argument 'in_channels'"},
  };
  for (const Case& c : cases) {
    nlohmann::json d = mlp_description();
    data::SafetensorsFile w = mlp_weights();
    c.damage(d, w);
    write(d, w);
    const std::string message = import_error();
    EXPECT_NE(message.find(c.problem), std::string::npos) << message;
  }
  // Convs: PyG's options heed does not implement are named.
  nlohmann::json gcn = {{"layers",
                         {{{"name", "conv"},
                           {"cls", "GCNConv"},
                           {"in_channels", 3},
                           {"out_channels", 2},
                           {"improved", true}}}}};
  write(gcn, {});
  EXPECT_NE(
      import_error().find("GCNConv argument 'improved' is true, but heed supports only false"),
      std::string::npos)
      << import_error();
  nlohmann::json bipartite = {
      {"layers",
       {{{"name", "conv"}, {"cls", "GATConv"}, {"in_channels", {3, 4}}, {"out_channels", 2}}}}};
  write(bipartite, {});
  EXPECT_NE(import_error().find("is a pair (a bipartite layer)"), std::string::npos);
  std::ofstream(dir_ / "model.json") << "{\"layers\": [";
  EXPECT_NE(import_error().find("not valid JSON"), std::string::npos);
}

// A small graph with isolated nodes (which get only their self loop).
Graph test_graph() {
  return testing::random_graph(30, 70, 4, false);
}

train::Checkpoint random_stack(const std::string& conv, std::map<std::string, double> options = {},
                               int edge_dim = 0) {
  nn::ModelSpec s;
  s.model = conv;
  s.in_channels = 5;
  s.out_channels = 3;
  s.hidden_channels = 4;
  s.heads = 2;
  s.output_heads = 2;
  s.conv_options = std::move(options);
  s.edge_dim = edge_dim;
  Rng rng(7);
  std::unique_ptr<nn::Model<float>> model = nn::make_model<float>(s, rng);
  // Non-zero biases, so that their layout is checked.
  for (Parameter<float>* p : model->parameters()) {
    if (p->name.rfind("bias", 0) == 0) {
      for (std::size_t k = 0; k < p->value.size(); ++k) p->value.data()[k] = 0.1f * float(k + 1);
    }
  }
  return train::make_checkpoint(*model,
                                R"({"source": {"data": "cora", "normalise_features": true}})");
}

TEST_F(PygFolder, ExportThenImportGivesTheSameLogits) {
  const Graph graph = test_graph();
  const Tensor<float> x = [] {
    Tensor<float> t(30, 5);
    const std::vector<float> v = testing::random_values<float>(t.size(), 3);
    std::copy(v.begin(), v.end(), t.data());
    return t;
  }();
  struct Case {
    std::string conv;
    std::map<std::string, double> options;
    int edge_dim = 0;
  };
  const Case cases[] = {{"gat", {}},
                        {"gat", {{"bias", 0}}},
                        {"gat", {}, 2},
                        {"gatv2", {}},
                        {"gatv2", {{"share_weights", 1}}},
                        {"gatv2", {{"projection_bias", 1}}},
                        {"gatv2", {}, 3},
                        {"gcn", {}},
                        {"gcn", {{"normalize", 0}}}};
  const Graph looped = graph.with_self_loops();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.conv + " " + nlohmann::json(c.options).dump() + " edge_dim " +
                 std::to_string(c.edge_dim));
    const train::Checkpoint trained = random_stack(c.conv, c.options, c.edge_dim);
    interop::export_pyg(trained, dir_);
    const nlohmann::json description = nlohmann::json::parse(std::ifstream(dir_ / "model.json"));
    EXPECT_EQ(description["input"]["dataset"], "cora");
    const train::Checkpoint back = interop::import_pyg(dir_);
    if (c.edge_dim > 0) {
      // Both on the looped graph, with features for every edge, loops included.
      Tensor<float> edge_attr(std::size_t(looped.num_edges()), std::size_t(c.edge_dim));
      const std::vector<float> v = testing::random_values<float>(edge_attr.size(), 9);
      std::copy(v.begin(), v.end(), edge_attr.data());
      const Tensor<float> want = eval_logits(trained, x, looped, nullptr, &edge_attr);
      const Tensor<float> got = eval_logits(back, x, looped, nullptr, &edge_attr);
      ASSERT_TRUE(got.same_shape(want));
      for (std::size_t k = 0; k < want.size(); ++k) ASSERT_EQ(got.data()[k], want.data()[k]);
      continue;
    }
    const Tensor<float> want = eval_logits(trained, x, looped);
    const Tensor<float> got = eval_logits(back, x, graph);
    ASSERT_TRUE(got.same_shape(want));
    for (std::size_t k = 0; k < want.size(); ++k) {
      ASSERT_EQ(got.data()[k], want.data()[k]) << "logit " << k;
    }
  }
  // What PyG's layers cannot express is refused.
  nn::ModelSpec residual = random_stack("gat").spec;
  residual.residual = true;
  residual.layers = 3;
  Rng rng(0);
  auto model = nn::make_model<float>(residual, rng);
  try {
    interop::export_pyg(train::make_checkpoint(*model), dir_);
    FAIL() << "exported a residual stack";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("residual"), std::string::npos);
  }
}

}  // namespace
}  // namespace heed
