#include "heed/studies/transformer_study.hpp"

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/nn/graph_transformer.hpp"
#include "heed/train/metrics.hpp"

namespace heed::studies {
namespace {

nn::ModelSpec gat_spec(const TransformerStudyOptions& o, const data::Dataset& d, bool deep_tricks) {
  nn::ModelSpec s;
  s.model = "gat";
  s.in_channels = d.num_features();
  s.out_channels = d.num_classes;
  s.heads = 8;
  s.hidden_channels = 8;
  s.dropout = 0.6;
  s.attention_dropout = 0.6;
  s.layers = o.layers;
  s.residual = deep_tricks;
  s.norm = deep_tricks ? nn::Normalisation::kLayer : nn::Normalisation::kNone;
  return s;
}

nn::ModelSpec transformer_spec(const TransformerStudyOptions& o, const data::Dataset& d,
                               nn::AttentionMode attention, int laplacian_k) {
  if (o.width % o.heads != 0) {
    throw Error("transformer study: width " + std::to_string(o.width) + " does not split into " +
                std::to_string(o.heads) + " heads");
  }
  nn::ModelSpec s;
  s.model = nn::kTransformerModel;
  s.in_channels = d.num_features();
  s.out_channels = d.num_classes;
  s.heads = o.heads;
  s.hidden_channels = o.width / o.heads;
  s.dropout = o.dropout;
  s.attention_dropout = o.dropout;
  s.layers = o.layers;
  s.attention = attention;
  s.laplacian_k = laplacian_k;
  s.norm_first = o.norm_first;
  return s;
}

}  // namespace

std::vector<StudyModel> seminar_models(const TransformerStudyOptions& o, const data::Dataset& d) {
  using nn::AttentionMode;
  const std::string l = std::to_string(o.layers) + "-layer ";
  return {
      {"gat", l + "GAT", gat_spec(o, d, false), false},
      {"gat-res-ln", l + "GAT, residual + LayerNorm", gat_spec(o, d, true), false},
      {"transformer-lpe", l + "transformer + LPE",
       transformer_spec(o, d, AttentionMode::kDense, o.laplacian_k), true},
      {"transformer", l + "transformer, no LPE", transformer_spec(o, d, AttentionMode::kDense, 0),
       true},
      {"graphgps-lpe", l + "graph transformer + LPE (GraphGPS)",
       transformer_spec(o, d, AttentionMode::kGraphAndDense, o.laplacian_k), false},
      {"edges-lpe", l + "transformer on edges only + LPE",
       transformer_spec(o, d, AttentionMode::kGraph, o.laplacian_k), false},
  };
}

std::vector<StudyModel> weight_transfer_models(const TransformerStudyOptions& o,
                                               const data::Dataset& d) {
  using nn::AttentionMode;
  const std::string l = std::to_string(o.layers) + "-layer ";
  return {
      {"transformer", l + "transformer, no LPE", transformer_spec(o, d, AttentionMode::kDense, 0),
       true},
      {"transformer-lpe", l + "transformer + LPE",
       transformer_spec(o, d, AttentionMode::kDense, o.laplacian_k), true},
  };
}

StudyRun run_study_model(const StudyModel& model, const data::Dataset& dataset,
                         const train::TrainOptions& training, std::uint64_t seed) {
  Rng rng(seed);
  std::unique_ptr<nn::Model<float>> net = nn::make_model<float>(model.spec, rng);
  StudyRun run;
  run.seed = seed;
  run.fit = train::fit(*net, dataset, training, rng);
  if (model.score_masked) {
    auto* transformer = dynamic_cast<nn::GraphTransformer<float>*>(net.get());
    if (transformer == nullptr) throw Error(model.label + ": only a transformer can be masked");
    // The trainer runs on the graph with self loops; so does the mask.
    const Graph graph = dataset.graph.with_self_loops();
    transformer->set_attention(nn::AttentionMode::kDenseMasked);
    Tape<float> tape(Tape<float>::Gradients::kOff);
    const Tensor<float> log_probs =
        ops::log_softmax(net->forward(tape, dataset.x, graph, nn::ForwardContext{false, 0}))
            .value();
    const data::Split& split = dataset.split(training.split);
    run.masked_test_accuracy = train::accuracy(log_probs, std::span<const std::int32_t>(dataset.y),
                                               std::span<const NodeId>(split.test));
  }
  return run;
}

}  // namespace heed::studies
