#pragma once
// A contextual stochastic block model: a graph whose edges and features both
// carry the class, so heed's main job runs with no download.
//   y_i ~ uniform over classes;  x_i = mu_{y_i} + N(0, 1) noise;
//   each node draws avg_degree / 2 partners, of its own class with
//   probability `homophily`, otherwise of another class; edges are symmetric.
#include <cstdint>

#include "heed/data/dataset.hpp"

namespace heed::data {

struct SyntheticOptions {
  int nodes = 3000;
  int classes = 5;
  int features = 32;
  double avg_degree = 8.0;
  double homophily = 0.8;
  double signal = 0.25;  // std of the class-mean entries; the noise std is 1
  int train_per_class = 20;
  int valid = 500;
  int test = 1000;
  std::uint64_t seed = 0;
};

/// Generates the graph, features, labels and a split named "public" (the
/// first train_per_class nodes of each class in a random order, then `valid`
/// and `test` of the rest; if the rest is smaller than valid + test, a third
/// of it validates and the remainder tests).
Dataset make_csbm(const SyntheticOptions& options);

}  // namespace heed::data
