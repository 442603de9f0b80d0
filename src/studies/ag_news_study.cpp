#include "heed/studies/ag_news_study.hpp"

#include <algorithm>
#include <memory>

#include "heed/data/graph_splits.hpp"
#include "heed/data/vocabulary.hpp"
#include "heed/error.hpp"
#include "heed/train/graph_batch_source.hpp"

namespace heed::studies {
namespace {

nn::ModelSpec body_spec(const std::string& key, const AgNewsOptions& o, int layers,
                        int num_classes) {
  if (o.width % o.heads != 0) {
    throw Error("ag-news study: width " + std::to_string(o.width) + " does not split into " +
                std::to_string(o.heads) + " heads");
  }
  nn::ModelSpec s;
  s.model = key == "transformer" ? nn::kTransformerModel : "gat";
  s.in_channels = o.width;
  s.out_channels = num_classes;
  s.heads = o.heads;
  s.hidden_channels = o.width / o.heads;
  s.layers = layers;
  s.dropout = o.dropout;
  s.attention_dropout = o.dropout;
  s.readout = nn::Readout::kMean;
  s.head_hidden = o.width;
  if (s.is_transformer()) s.norm_first = o.norm_first;
  s.validate();
  return s;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& ag_news_models() {
  static const std::vector<std::pair<std::string, std::string>> kModels{
      {"gat-complete", "GAT, complete token graph"},
      {"transformer", "transformer encoder"},
      {"gat-window", "GAT, window graph (2 each side)"}};
  return kModels;
}

std::vector<AgNewsRun> run_ag_news_study(
    const data::TextDataset& dataset, const AgNewsOptions& o,
    const std::function<void(const AgNewsRun&)>& on_run,
    const std::function<void(int run, const train::EpochReport&)>& on_epoch) {
  for (const std::string& m : o.models) {
    const auto& known = ag_news_models();
    if (std::none_of(known.begin(), known.end(), [&](const auto& k) { return k.first == m; })) {
      throw Error("ag-news study: unknown model '" + m +
                  "' (expected gat-complete, transformer or gat-window)");
    }
  }
  if (o.seeds < 1) throw Error("ag-news study: seeds must be >= 1");
  if (o.max_tokens < 1) throw Error("ag-news study: max_tokens must be >= 1");
  std::vector<std::vector<std::string>> pieces;
  pieces.reserve(dataset.texts.size());
  for (const std::string& t : dataset.texts) pieces.push_back(data::word_pieces(t));
  std::vector<AgNewsRun> runs;
  for (int seed = 0; seed < o.seeds; ++seed) {
    const data::GraphParts parts =
        data::stratified_split(dataset.classes, o.split, std::uint64_t(seed));
    std::vector<std::vector<std::string>> training;
    for (std::int64_t d : parts[0]) training.push_back(pieces[std::size_t(d)]);
    const data::Vocabulary vocabulary = data::Vocabulary::build(training, o.min_count);
    // The documents of the split only, renumbered: graphs the split leaves
    // out are never built.
    std::vector<std::vector<std::int32_t>> documents;
    std::vector<std::int32_t> classes;
    std::array<std::vector<std::int64_t>, 3> renumbered;
    for (std::size_t p = 0; p < 3; ++p) {
      for (std::int64_t d : parts[p]) {
        renumbered[p].push_back(std::int64_t(documents.size()));
        documents.push_back(vocabulary.encode(pieces[std::size_t(d)], std::size_t(o.max_tokens)));
        classes.push_back(dataset.classes[std::size_t(d)]);
      }
    }
    const nn::TokenEmbeddingSpec tokens{int(vocabulary.size()), o.max_tokens, o.positions};
    for (const data::TokenGraph kind : {data::TokenGraph::kComplete, data::TokenGraph::kWindow}) {
      std::vector<std::string> here;
      for (const std::string& m : o.models) {
        if ((m == "gat-window") == (kind == data::TokenGraph::kWindow)) here.push_back(m);
      }
      if (here.empty()) continue;
      const data::GraphDataset graphs =
          data::token_graph_dataset(dataset.name, documents, classes, dataset.num_classes,
                                    dataset.class_names, kind, o.window);
      for (const std::string& m : here) {
        for (int layers : o.depths) {
          const nn::ModelSpec body = body_spec(m, o, layers, dataset.num_classes);
          Rng rng{std::uint64_t(seed)};
          nn::TokenGraphModel<float> model(tokens, body, rng);
          train::GraphBatchSource source(graphs, body, renumbered, o.batch_size);
          const int index = int(runs.size());
          const train::FitResult fit =
              train::fit(model, source, o.training, rng, [&](const train::EpochReport& e) {
                if (on_epoch) on_epoch(index, e);
              });
          AgNewsRun r;
          r.model = m;
          r.layers = layers;
          r.seed = std::uint64_t(seed);
          r.test_accuracy = fit.test_accuracy;
          r.val_accuracy = fit.val_accuracy;
          r.epochs = fit.epochs_run;
          r.best_epoch = fit.best_epoch;
          r.seconds_per_epoch = fit.epochs_run > 0 ? fit.seconds / fit.epochs_run : 0;
          r.vocabulary = std::int64_t(vocabulary.size());
          runs.push_back(r);
          if (on_run) on_run(r);
        }
      }
    }
  }
  return runs;
}

}  // namespace heed::studies
