#pragma once
// `heed explain --graph K`: one graph of a whole-graph model's dataset,
// drawn with what the model attended to.
#include <cstdint>
#include <string>

#include "trained_model.hpp"

namespace heed::cli {

/// Loads the whole-graph checkpoint and its dataset (the one recorded,
/// unless options.source names another folder), runs the model on graph
/// `graph` alone and writes the picture to `out` (through a temporary file).
/// A molecule is drawn by RDKit, any other graph by a force-directed layout.
int run_graph_explain(const ModelOptions& options, std::int64_t graph, const std::string& out);

}  // namespace heed::cli
