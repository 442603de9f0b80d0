#include "heed/data/graph_splits.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "heed/error.hpp"
#include "heed/tensor/random.hpp"

namespace heed::data {
namespace {

// Fisher-Yates with keyed draws, so the order is a function of the key only.
void shuffle(std::vector<std::int64_t>& v, std::uint64_t key) {
  for (std::size_t k = v.size(); k > 1; --k) {
    std::swap(v[k - 1], v[std::size_t(counter_bits(key, k) % k)]);
  }
}

}  // namespace

std::vector<GraphParts> stratified_folds(std::span<const std::int32_t> classes, int folds,
                                         std::uint64_t seed) {
  const auto count = std::int64_t(classes.size());
  if (folds < 3 || folds > count) {
    throw Error(
        "cross-validation: the number of folds must be between 3 and the number of "
        "graphs (" +
        std::to_string(count) + "), got " + std::to_string(folds));
  }
  std::map<std::int32_t, std::vector<std::int64_t>> by_class;
  for (std::int64_t g = 0; g < count; ++g) {
    const std::int32_t c = classes[std::size_t(g)];
    if (c < 0) {
      throw Error("cross-validation: graph " + std::to_string(g) + " has no class (" +
                  std::to_string(c) + ")");
    }
    by_class[c].push_back(g);
  }
  // Classes one after another, each shuffled by its own stream, dealt in
  // turn: the deal carries on from class to class, so fold sizes balance too.
  std::vector<std::vector<std::int64_t>> fold_of(static_cast<std::size_t>(folds));
  std::size_t next = 0;
  for (auto& [c, graphs] : by_class) {
    shuffle(graphs, derive_key(seed, std::uint64_t(c)));
    for (std::int64_t g : graphs) fold_of[next++ % std::size_t(folds)].push_back(g);
  }
  std::vector<GraphParts> out(static_cast<std::size_t>(folds));
  for (int k = 0; k < folds; ++k) {
    const std::size_t valid = std::size_t((k + folds - 1) % folds);
    GraphParts& parts = out[std::size_t(k)];
    for (std::size_t f = 0; f < std::size_t(folds); ++f) {
      const std::size_t part = f == std::size_t(k) ? 2 : f == valid ? 1 : 0;
      parts[part].insert(parts[part].end(), fold_of[f].begin(), fold_of[f].end());
    }
    for (auto& p : parts) std::sort(p.begin(), p.end());
  }
  return out;
}

GraphParts random_split(std::int64_t count, std::array<double, 3> fractions, std::uint64_t seed) {
  const double sum = fractions[0] + fractions[1] + fractions[2];
  if (!(fractions[0] > 0 && fractions[1] > 0 && fractions[2] > 0) || std::abs(sum - 1) > 1e-9) {
    throw Error("random split: the fractions must be positive and sum to 1");
  }
  const auto train = std::int64_t(std::llround(fractions[0] * double(count)));
  const auto valid = std::int64_t(std::llround(fractions[1] * double(count)));
  if (train < 1 || valid < 1 || count - train - valid < 1) {
    throw Error("random split: " + std::to_string(count) +
                " graphs are too few for a training, validation and test set");
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), std::int64_t(0));
  shuffle(order, seed);
  GraphParts parts;
  parts[0].assign(order.begin(), order.begin() + train);
  parts[1].assign(order.begin() + train, order.begin() + train + valid);
  parts[2].assign(order.begin() + train + valid, order.end());
  for (auto& p : parts) std::sort(p.begin(), p.end());
  return parts;
}

GraphParts stratified_split(std::span<const std::int32_t> classes,
                            std::array<std::int64_t, 3> sizes, std::uint64_t seed) {
  const auto count = std::int64_t(classes.size());
  if (sizes[0] < 1 || sizes[1] < 1 || sizes[2] < 1 || sizes[0] + sizes[1] + sizes[2] > count) {
    throw Error("stratified split: sizes " + std::to_string(sizes[0]) + " / " +
                std::to_string(sizes[1]) + " / " + std::to_string(sizes[2]) +
                " must each be >= 1 and together at most the " + std::to_string(count) + " graphs");
  }
  std::map<std::int32_t, std::vector<std::int64_t>> by_class;
  for (std::int64_t g = 0; g < count; ++g) {
    const std::int32_t c = classes[std::size_t(g)];
    if (c < 0)
      throw Error("stratified split: graph " + std::to_string(g) + " has class " +
                  std::to_string(c));
    by_class[c].push_back(g);
  }
  struct Ranked {
    double quantile;
    std::int32_t cls;
    std::int64_t graph;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(std::size_t(count));
  for (auto& [c, members] : by_class) {
    // Each class its own stream of the seed, so adding a class moves no other.
    shuffle(members, derive_key(seed, std::uint64_t(c) + 1));
    const double n = double(members.size());
    for (std::size_t r = 0; r < members.size(); ++r) {
      ranked.push_back({(double(r) + 0.5) / n, c, members[r]});
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    return a.quantile != b.quantile ? a.quantile < b.quantile : a.cls < b.cls;
  });
  GraphParts parts;
  std::size_t next = 0;
  for (std::size_t p = 0; p < 3; ++p) {
    for (std::int64_t k = 0; k < sizes[p]; ++k) parts[p].push_back(ranked[next++].graph);
    std::sort(parts[p].begin(), parts[p].end());
  }
  return parts;
}

}  // namespace heed::data
