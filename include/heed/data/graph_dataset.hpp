#pragma once
// Many graphs with one target each (molecules, TUDatasets): what graph
// classification and graph regression learn from. All graphs are held as one
// block-diagonal batch; training batches are selections of it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "heed/graph/graph_batch.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::data {

struct GraphDataset {
  std::string name;
  std::filesystem::path path;
  GraphBatch graphs;  // every graph, as read: no self loops added
  /// One row per node: the node attributes, then each node-label column
  /// one-hot (PyG's TUDataset order).
  Tensor<float> x;
  /// One row per edge id of graphs.graph: the edge attributes, then the
  /// edge labels one-hot; no columns when the set has neither.
  Tensor<float> edge_attr;
  /// Classification: each graph's class, 0 .. num_classes - 1, numbered in
  /// the sorted order of the file's labels (named in class_names).
  std::vector<std::int32_t> classes;
  int num_classes = 0;
  std::vector<std::string> class_names;
  /// Regression: one row of targets per graph (no rows for classification).
  Tensor<float> values;

  /// Molecules: each graph's SMILES as read (its atoms are the graph's nodes,
  /// in RDKit's order); empty for other layouts.
  std::vector<std::string> smiles;
  /// TUDatasets with one node-label column: each node's label as the file
  /// gives it (to draw a graph with); empty otherwise.
  std::vector<std::int64_t> node_labels;
  /// Records left out because they could not be read (GraphReadOptions::skip_invalid).
  std::size_t skipped_invalid = 0;

  std::int64_t num_graphs() const { return graphs.num_graphs(); }
  bool is_regression() const { return values.rows() > 0; }
};

struct GraphReadOptions {
  /// Molecules whose SMILES RDKit rejects are left out and counted, rather
  /// than stopping the read.
  bool skip_invalid = false;
};

/// Whether `folder` holds a whole-graph dataset heed reads: a TUDataset or
/// molecules as SMILES (is_smiles_dataset).
bool is_graph_dataset(const std::filesystem::path& folder);
/// Reads the graph dataset in `folder`, whichever of the layouts it has.
GraphDataset read_graph_dataset(const std::filesystem::path& folder,
                                const GraphReadOptions& options = {});

/// Whether `folder` holds molecules as SMILES: one CSV file whose header
/// names a "smiles" column (MoleculeNet's layout).
bool is_smiles_dataset(const std::filesystem::path& folder);
/// Reads the molecules (molecule_from_smiles: one-hot atom and bond
/// features, 177 and 30 wide) and their regression targets: the column
/// meta.json's "target_column" names, else the one column besides the
/// SMILES. RFC 4180 quoting; blanks around a SMILES are dropped. heed::Error
/// naming the file, the line and the problem for a SMILES RDKit rejects
/// (unless options.skip_invalid), a target that is not a number, a row with
/// the wrong number of columns, or a file without molecules.
GraphDataset read_smiles_dataset(const std::filesystem::path& folder,
                                 const GraphReadOptions& options = {});

/// Whether `folder` holds a TUDataset: a file named <NAME>_graph_indicator.txt.
bool is_tu_dataset(const std::filesystem::path& folder);

/// Reads a TUDataset folder (the format of its README.txt): <NAME>_A.txt
/// (one edge "i, j" per line, 1-based node ids), <NAME>_graph_indicator.txt
/// (each node's graph, 1-based, never decreasing, no graph left without
/// nodes), <NAME>_graph_attributes.txt (regression targets) or else
/// <NAME>_graph_labels.txt, and where present <NAME>_node_labels.txt,
/// <NAME>_node_attributes.txt, <NAME>_edge_labels.txt and
/// <NAME>_edge_attributes.txt. As PyG's TUDataset does, self loops are
/// dropped and a repeated edge is kept once with the sum of its features.
/// meta.json's counts (num_graphs, num_nodes, num_edges, num_node_labels,
/// num_edge_labels), where given, are checked against the files. Bad input
/// throws heed::Error naming the file, the line and the problem.
GraphDataset read_tu_dataset(const std::filesystem::path& folder);

}  // namespace heed::data
