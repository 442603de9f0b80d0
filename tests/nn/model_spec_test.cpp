// The model specification: one JSON codec (round trips, older files, bad
// fields named), validation that names the setting, and the conv registry.
#include "heed/nn/model_spec.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "heed/error.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/nn/model.hpp"

namespace heed::nn {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

ModelSpec valid_spec() {
  ModelSpec s;
  s.in_channels = 10;
  s.out_channels = 3;
  return s;
}

TEST(ModelSpec, JsonRoundTripKeepsEverySetting) {
  ModelSpec s = valid_spec();
  s.model = "gin";
  s.layers = 4;
  s.residual = true;
  s.norm = Normalisation::kLayer;
  s.feature_dropout = FeatureDropout::kLayerInput;
  s.conv_options = {{"train_eps", 1}, {"eps", 0.5}};
  const nlohmann::json j = s;
  EXPECT_EQ(j["hidden_channels"], 8);  // one spelling of each setting
  EXPECT_FALSE(j.contains("hidden"));
  const ModelSpec back = model_spec_from_json(j, "test");
  EXPECT_EQ(back.model, "gin");
  EXPECT_EQ(back.layers, 4);
  EXPECT_EQ(back.norm, Normalisation::kLayer);
  EXPECT_EQ(back.feature_dropout, FeatureDropout::kLayerInput);
  EXPECT_EQ(back.conv_options, s.conv_options);
  EXPECT_EQ(nlohmann::json(back), j);
}

TEST(ModelSpec, OlderFilesWithoutTheNewFieldsStillRead) {
  // A checkpoint header's model object as the first release wrote it.
  const nlohmann::json old = nlohmann::json::parse(R"({"model":"gcn","in_channels":5,
    "hidden_channels":16,"heads":8,"out_channels":2,"output_heads":1,"dropout":0.5,
    "attention_dropout":0.5,"negative_slope":0.2,"feature_dropout":"per-head","layers":2,
    "residual":false,"norm":"none"})");
  const ModelSpec s = model_spec_from_json(old, "old.heed");
  EXPECT_EQ(s.model, "gcn");
  EXPECT_EQ(s.edge_dim, 0);
  EXPECT_TRUE(s.conv_options.empty());
}

TEST(ModelSpec, BadFieldsAreNamed) {
  nlohmann::json j = valid_spec();
  j["norm"] = "group";
  EXPECT_EQ(message_of([&] { model_spec_from_json(j, "m.heed"); }),
            "m.heed: model field 'norm': unknown norm 'group' (expected none, layer or batch)");
  j = valid_spec();
  j.erase("heads");
  EXPECT_EQ(message_of([&] { model_spec_from_json(j, "m.heed"); }),
            "m.heed: model field 'heads' is missing");
  j = valid_spec();
  j["layers"] = "two";
  EXPECT_EQ(message_of([&] { model_spec_from_json(j, "m.heed"); }),
            "m.heed: model field 'layers' has the wrong type");
  j = valid_spec();
  j["model"] = "graphormer";
  EXPECT_NE(message_of([&] { model_spec_from_json(j, "m.heed"); })
                .find("unknown model 'graphormer' (expected gat, gatv2, gcn, sage, gin or "
                      "transformer)"),
            std::string::npos);
}

TEST(ModelSpec, ValidationNamesTheSetting) {
  ModelSpec s = valid_spec();
  s.heads = 0;
  EXPECT_EQ(message_of([&] { s.validate(); }), "model: heads must be 1 to 16777216, got 0");
  s = valid_spec();
  s.dropout = 1.0;
  EXPECT_NE(message_of([&] { s.validate(); }).find("dropout must be in [0, 1)"), std::string::npos);
  s = valid_spec();
  s.laplacian_k = 4;
  EXPECT_EQ(message_of([&] { s.validate(); }),
            "model: laplacian_k applies to the transformer only, not to gat");
  s = valid_spec();
  s.conv_options = {{"share_weights", 1}};
  EXPECT_EQ(message_of([&] { s.validate(); }),
            "model: conv option 'share_weights' is not one of gat's (add_self_loops or bias)");
  s.model = "gatv2";
  EXPECT_NO_THROW(s.validate());
  s = valid_spec();
  s.model = "gcn";
  s.edge_dim = 3;
  EXPECT_EQ(message_of([&] { s.validate(); }), "model: edge_dim: gcn takes no edge features");
  // Sizes whose product would be an allocation of terabytes are refused.
  s = valid_spec();
  s.in_channels = 1 << 22;
  s.hidden_channels = 1 << 10;
  EXPECT_NE(message_of([&] { s.validate(); }).find("in_channels x hidden width"),
            std::string::npos);
}

TEST(ConvRegistry, EveryConvIsKnownByName) {
  EXPECT_EQ(conv_names(), (std::vector<std::string>{"gat", "gatv2", "gcn", "sage", "gin"}));
  EXPECT_EQ(model_names().back(), "transformer");
  EXPECT_TRUE(conv_info("gat").traits.attends);
  EXPECT_FALSE(conv_info("gin").traits.multi_head);
  EXPECT_EQ(paper_defaults("gcn").hidden_channels, 16);
  EXPECT_EQ(message_of([] { conv_info("graphormer"); }),
            "unknown conv 'graphormer' (expected gat, gatv2, gcn, sage or gin)");
  LayerSpec l;
  l.in_channels = 4;
  l.out_channels = 2;
  l.heads = 3;
  Rng rng(0);
  EXPECT_EQ(make_conv<double>("gat", l, rng)->out_width(), 6);
  EXPECT_EQ(make_conv<float>("gcn", l, rng)->out_width(), 2);
}

}  // namespace
}  // namespace heed::nn
