#pragma once
// Planetoid's citation datasets (Cora, CiteSeer, PubMed) from their original
// files ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index} (Python 2 pickles
// of scipy and numpy objects, and a text file), read as PyTorch Geometric's
// Planetoid(split="public") reads them.
#include <filesystem>
#include <string>

#include "heed/data/node_dataset_files.hpp"

namespace heed::data {

/// The dataset `name` from the Planetoid files in `folder`:
/// - features: the rows of allx then tx; labels: the argmax of ally then ty;
/// - where test.index leaves gaps in its range (CiteSeer), the missing test
///   rows are zero features with label -1 (PyG gives them label 0) and are in
///   no split;
/// - the rows at test.index take the rows at sorted(test.index);
/// - edges: every (key, neighbour) of the graph dict, self loops and
///   duplicates removed, sorted;
/// - split "public": train the first |y| nodes, valid the next 500, test
///   the nodes of test.index.
/// heed::Error naming the file and the problem for anything else.
NodeDatasetFiles read_planetoid(const std::filesystem::path& folder, const std::string& name);

}  // namespace heed::data
