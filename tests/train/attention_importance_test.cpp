// Attention learns which neighbours matter (issue #4). A third of the nodes
// are targets, whose own features carry no class signal, so they must read
// their neighbours. Each target has three informative in-neighbours (its own
// class, features near the class mean, which includes a feature every class
// mean shares) and three noise in-neighbours (nodes of a random class whose
// features lack that shared feature and point hard at their own class, so
// averaging them in misleads). After training, the mean attention on
// informative in-edges must be at least twice that on noise in-edges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "heed/data/dataset.hpp"
#include "heed/nn/gnn_stack.hpp"
#include "heed/train/trainer.hpp"

namespace heed {
namespace {

enum class Role { kTarget, kInformative, kNoise };

struct Planted {
  data::Dataset dataset;
  std::vector<Role> role;
};

Planted planted_graph(int targets, int classes, int features, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int nodes = 3 * targets;
  Planted p;
  data::Dataset& d = p.dataset;
  d.name = "planted";
  d.num_classes = classes;
  d.y.resize(std::size_t(nodes));
  p.role.resize(std::size_t(nodes));
  d.x = Tensor<float>(std::size_t(nodes), std::size_t(features));
  std::vector<std::vector<NodeId>> informative_of_class(static_cast<std::size_t>(classes));
  std::vector<std::vector<NodeId>> noise_of_class(static_cast<std::size_t>(classes));
  for (int i = 0; i < nodes; ++i) {
    const int c = i % classes;
    const Role role = Role((i / classes) % 3);
    d.y[std::size_t(i)] = c;
    p.role[std::size_t(i)] = role;
    for (int f = 0; f < features; ++f) {
      // Feature 0 is part of every class mean; then each class owns every
      // classes-th feature. Targets are pure noise.
      const bool own = f > 0 && (f - 1) % classes == c;
      double mean = 0.0, spread = 1.0;
      if (role == Role::kInformative) {
        mean = f == 0 || own ? 2.0 : 0.0;
        spread = 0.3;
      } else if (role == Role::kNoise) {
        mean = own ? 3.0 : 0.0;
        spread = 0.5;
      }
      d.x(std::size_t(i), std::size_t(f)) = float(mean + spread * noise(engine));
    }
    if (role == Role::kInformative) informative_of_class[std::size_t(c)].push_back(NodeId(i));
    if (role == Role::kNoise) noise_of_class[std::size_t(c)].push_back(NodeId(i));
  }
  EdgeList edges;
  auto pick = [&](const std::vector<NodeId>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(engine)];
  };
  std::vector<NodeId> target_ids;
  for (int i = 0; i < nodes; ++i) {
    if (p.role[std::size_t(i)] != Role::kTarget) continue;
    target_ids.push_back(NodeId(i));
    const int c = i % classes;
    for (int k = 0; k < 3; ++k) {
      edges.add(pick(informative_of_class[std::size_t(c)]), NodeId(i));
      // Noise of any class: it says nothing about the target's class, not
      // even by elimination, but pulls an average towards its own.
      const int any = std::uniform_int_distribution<int>(0, classes - 1)(engine);
      edges.add(pick(noise_of_class[std::size_t(any)]), NodeId(i));
    }
  }
  d.graph = Graph(nodes, edges, GraphOptions{.remove_self_loops = true});
  std::shuffle(target_ids.begin(), target_ids.end(), engine);
  const std::size_t fifth = target_ids.size() / 5;
  data::Split split;
  split.train.assign(target_ids.begin(), target_ids.begin() + std::ptrdiff_t(fifth));
  split.valid.assign(target_ids.begin() + std::ptrdiff_t(fifth),
                     target_ids.begin() + std::ptrdiff_t(2 * fifth));
  split.test.assign(target_ids.begin() + std::ptrdiff_t(2 * fifth), target_ids.end());
  d.splits["public"] = split;
  return p;
}

// One attention layer straight onto the classes: the coefficients are the
// only way it has to keep noise out of a node's average.
double attention_ratio(unsigned graph_seed, std::uint64_t init_seed, double* test_accuracy) {
  const Planted p = planted_graph(600, 3, 12, graph_seed);
  nn::ModelSpec o;
  o.model = "gat";
  o.in_channels = 12;
  o.out_channels = 3;
  o.output_heads = 4;
  o.layers = 1;
  o.dropout = 0.0;
  o.attention_dropout = 0.0;
  Rng rng(init_seed);
  nn::GNNStack<float> gat(o, rng);
  train::TrainOptions t;
  t.max_epochs = 300;
  t.patience = 300;
  t.adam.lr = 0.02;
  t.adam.weight_decay = 0.0;  // decay would hold the attention vectors near zero
  *test_accuracy = train::fit(gat, p.dataset, t, rng).test_accuracy;

  const Graph graph = p.dataset.graph.with_self_loops();
  const nn::NodeFeatures<float> x(p.dataset.x);
  Tape<float> tape;
  std::vector<nn::Attention<float>> attention;
  gat.forward(tape, x, graph, nn::ForwardContext{false, 0}, {.attention = &attention});
  const nn::Attention<float>& a = attention.at(0);
  double informative = 0, noise = 0;
  long n_informative = 0, n_noise = 0;
  for (NodeId i = 0; i < NodeId(graph.num_nodes()); ++i) {
    if (p.role[std::size_t(i)] != Role::kTarget) continue;
    for (int h = 0; h < int(a.alpha.cols()); ++h) {
      for (auto [j, alpha] : a.in_edges(i, h)) {
        if (j == i) continue;  // the self loop is neither kind
        if (p.role[std::size_t(j)] == Role::kInformative) {
          informative += alpha;
          ++n_informative;
        } else {
          noise += alpha;
          ++n_noise;
        }
      }
    }
  }
  const double ratio = (informative / double(n_informative)) / (noise / double(n_noise));
  std::printf(
      "graph seed %u, init seed %llu: informative %.4f, noise %.4f, ratio %.2f, test %.3f\n",
      graph_seed, static_cast<unsigned long long>(init_seed), informative / double(n_informative),
      noise / double(n_noise), ratio, *test_accuracy);
  return ratio;
}

TEST(AttentionImportance, InformativeNeighboursGetAtLeastTwiceTheAttention) {
  for (unsigned seed : {7u, 8u, 9u}) {
    double test_accuracy = 0;
    const double ratio = attention_ratio(seed, 100 + seed, &test_accuracy);
    EXPECT_GE(ratio, 2.0) << "seed " << seed;
    EXPECT_GT(test_accuracy, 0.8) << "seed " << seed;
  }
}

}  // namespace
}  // namespace heed
