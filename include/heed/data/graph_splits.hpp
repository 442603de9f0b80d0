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

/// A split of graphs 0 .. classes.size() - 1 into parts of the given sizes
/// (train, validation, test; they may leave graphs out), stratified: each
/// class's graphs are shuffled by `seed` and ranked, the graphs are ordered
/// by (rank + 1/2) / class size (ties by class), and the parts take that
/// order's first sizes[0], next sizes[1] and next sizes[2] graphs. So every
/// part holds each class in its share of the whole, to one graph (AG News's
/// 7600 documents, 1900 a class: 6000 / 800 / 800 are 1500 / 200 / 200 of
/// each). Each part is sorted. heed::Error if a size is below 1, the sizes
/// exceed the graphs, or a class is negative.
GraphParts stratified_split(std::span<const std::int32_t> classes,
                            std::array<std::int64_t, 3> sizes, std::uint64_t seed);

}  // namespace heed::data
