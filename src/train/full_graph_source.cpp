#include "heed/train/full_graph_source.hpp"

#include "heed/error.hpp"

namespace heed::train {
namespace {

Targets part_targets(const data::Dataset& d, const std::vector<NodeId>& rows, const char* what) {
  if (rows.empty()) throw Error(d.name + ": the " + std::string(what) + " set is empty");
  Targets t;
  t.rows = rows;
  t.classes.reserve(rows.size());
  for (NodeId r : rows) {
    if (r < 0 || r >= d.num_nodes()) {
      throw Error(d.name + ": " + what + " node " + std::to_string(r) + " is not in the graph");
    }
    const std::int32_t y = d.y[std::size_t(r)];
    if (y < 0) throw Error(d.name + ": " + what + " node " + std::to_string(r) + " has no label");
    t.classes.push_back(y);
  }
  return t;
}

}  // namespace

FullGraphSource::FullGraphSource(const data::Dataset& dataset, const std::string& split)
    : FullGraphSource(dataset, split, dataset.graph.with_self_loops()) {}

FullGraphSource::FullGraphSource(const data::Dataset& dataset, const std::string& split,
                                 Graph graph)
    : task_(Task::of(Target::kNode, TaskKind::kMultiClass, dataset.num_classes)),
      graph_(std::move(graph)),
      x_(dataset.x) {
  if (graph_.num_nodes() != dataset.num_nodes()) {
    throw Error(dataset.name + ": the graph given has " + std::to_string(graph_.num_nodes()) +
                " nodes, the dataset " + std::to_string(dataset.num_nodes()));
  }
  const data::Split& s = dataset.split(split);
  parts_[0] = part_targets(dataset, s.train, "training");
  parts_[1] = part_targets(dataset, s.valid, "validation");
  parts_[2] = part_targets(dataset, s.test, "test");
}

void FullGraphSource::training_batches(std::uint64_t, int,
                                       const std::function<void(const Batch&)>& visit) {
  Batch b;
  b.input = {&graph_, &x_, nullptr, {}};
  b.targets[0] = &parts_[0];
  visit(b);
}

void FullGraphSource::evaluation_batches(const std::function<void(const Batch&)>& visit) {
  Batch b;
  b.input = {&graph_, &x_, nullptr, {}};
  for (std::size_t k = 0; k < 3; ++k) b.targets[k] = &parts_[k];
  visit(b);
}

}  // namespace heed::train
