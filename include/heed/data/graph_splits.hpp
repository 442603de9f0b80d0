#pragma once
// How whole-graph datasets are split, as their literature does it: k-fold
// cross-validation stratified by class (TUDatasets, the GIN paper's
// protocol) and random fractions (MoleculeNet's 80/10/10). Every split is a
// function of its seed alone.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace heed::data {

/// Graph indices (into a GraphDataset) for training, validation and test.
using GraphParts = std::array<std::vector<std::int64_t>, 3>;

/// `folds` folds of graphs 0 .. classes.size() - 1, stratified: each
/// class's graphs, shuffled by `seed`, are dealt to the folds in turn, so a
/// class's count differs by at most one between folds and so does a fold's
/// size. Element k tests on fold k, validates on fold k - 1 (cyclically, as
/// PyG's kernel benchmark does) and trains on the rest. Each part is sorted.
/// heed::Error unless 3 <= folds <= the number of graphs and every class is
/// >= 0.
std::vector<GraphParts> stratified_folds(std::span<const std::int32_t> classes, int folds,
                                         std::uint64_t seed);

/// A random split of graphs 0 .. count - 1 in the given fractions of train,
/// validation and test (which must be positive and sum to 1): the shuffled
/// graphs' first round(train * count) train, the next round(valid * count)
/// validate and the rest test. Each part is sorted. heed::Error if a part
/// would be empty.
GraphParts random_split(std::int64_t count, std::array<double, 3> fractions, std::uint64_t seed);

}  // namespace heed::data
