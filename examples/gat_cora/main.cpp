// Train the GAT paper's 2-layer model on Cora and look at whom one paper
// attends to.
//
//   gat_cora [dataset] [max_epochs] [node]
//
// `dataset` is a folder or a name found in $HEED_DATA or ../shared/data
// ("cora" by default); "synthetic" trains on a generated graph instead.
#include <heed/autograd/ops.hpp>
#include <heed/data/dataset.hpp>
#include <heed/data/synthetic.hpp>
#include <heed/error.hpp>
#include <heed/nn/model.hpp>
#include <heed/train/trainer.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "cora";
  const int max_epochs = argc > 2 ? std::stoi(argv[2]) : 100000;
  const heed::NodeId node = argc > 3 ? heed::NodeId(std::stoi(argv[3])) : 0;
  try {
    // 1. Data: features row-normalised as in the paper.
    heed::data::Dataset data = name == "synthetic"
                                   ? heed::data::make_csbm({})
                                   : heed::data::load_dataset(name, {.normalise_features = true});
    std::printf("%s: %lld nodes, %lld edges, %d classes\n", data.name.c_str(),
                static_cast<long long>(data.num_nodes()),
                static_cast<long long>(data.graph.num_edges()), data.num_classes);

    // 2. Model: the paper's GAT (a ModelSpec's defaults): 8 heads x 8
    //    features, ELU, one output head; dropout 0.6.
    heed::nn::ModelSpec spec;
    spec.in_channels = data.num_features();
    spec.out_channels = data.num_classes;
    heed::Rng rng(0);
    const auto gat = heed::nn::make_model<float>(spec, rng);

    // 3. Training: Adam (lr 0.005, L2 5e-4), early stopping with patience 100.
    heed::train::TrainOptions training;
    training.max_epochs = max_epochs;
    const heed::train::FitResult result = heed::train::fit(*gat, data, training, rng);
    std::printf("trained %d epochs (kept epoch %d): validation %.3f, test %.3f\n",
                result.epochs_run, result.best_epoch, result.val_accuracy, result.test_accuracy);

    // 4. Attention: one evaluation pass that keeps every layer's coefficients.
    const heed::Graph graph = data.graph.with_self_loops();
    heed::Tape<float> tape;
    std::vector<heed::nn::Attention<float>> attention;
    gat->forward(tape, data.x, graph, heed::nn::ForwardContext{}, {.attention = &attention});
    std::printf("node %d (class %d) attends to, in layer 1 (mean over %d heads):\n", node,
                data.y[std::size_t(node)], spec.heads);
    std::vector<std::pair<heed::NodeId, float>> mean = attention[0].in_edges(node, 0);
    for (int h = 1; h < spec.heads; ++h) {
      const auto head = attention[0].in_edges(node, h);
      for (std::size_t k = 0; k < mean.size(); ++k) mean[k].second += head[k].second;
    }
    std::sort(mean.begin(), mean.end(), [](auto& a, auto& b) { return a.second > b.second; });
    float total = 0;
    for (auto [source, weight] : mean) {
      weight /= float(spec.heads);
      total += weight;
      std::printf("  node %5d (class %d): %.3f\n", source, data.y[std::size_t(source)], weight);
    }
    // The coefficients of each head are a softmax over the node's in-edges.
    if (std::abs(total - 1.0f) > 1e-4f) {
      std::fprintf(stderr, "attention of node %d sums to %f, not 1\n", node, total);
      return 1;
    }
    if (!(result.test_accuracy > 1.0 / data.num_classes)) {
      std::fprintf(stderr, "test accuracy %.3f is no better than chance\n", result.test_accuracy);
      return 1;
    }
  } catch (const heed::Error& e) {
    std::fprintf(stderr, "gat_cora: %s\n", e.what());
    return 1;
  }
  return 0;
}
