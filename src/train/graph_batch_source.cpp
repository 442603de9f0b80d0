#include "heed/train/graph_batch_source.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "heed/error.hpp"
#include "heed/nn/looped_edge_features.hpp"
#include "heed/nn/model.hpp"
#include "heed/nn/node_features.hpp"

namespace heed::train {

GraphBatchSource::GraphBatchSource(const data::GraphDataset& dataset, const nn::ModelSpec& spec,
                                   std::array<std::vector<std::int64_t>, 3> parts, int batch_size)
    : dataset_(&dataset), parts_(std::move(parts)), batch_size_(batch_size) {
  if (batch_size < 1) {
    throw Error("graph batches: the batch size must be >= 1, got " + std::to_string(batch_size));
  }
  const char* names[3] = {"training", "validation", "test"};
  for (std::size_t p = 0; p < 3; ++p) {
    if (parts_[p].empty()) throw Error(dataset.name + ": the " + names[p] + " set is empty");
    for (std::int64_t g : parts_[p]) {
      if (g < 0 || g >= dataset.num_graphs()) {
        throw Error(dataset.name + ": " + names[p] + " graph " + std::to_string(g) +
                    " is not one of its " + std::to_string(dataset.num_graphs()) + " graphs");
      }
    }
  }
  task_ = dataset.is_regression()
              ? Task::of(Target::kGraph, TaskKind::kRegression, int(dataset.values.cols()))
              : Task::of(Target::kGraph, TaskKind::kMultiClass, dataset.num_classes);

  // The model's graph is block-diagonal too: loops stay within their graph.
  const Graph& original = dataset.graphs.graph;
  Graph looped = nn::model_input_graph(spec, original);
  with_edges_ = spec.edge_dim > 0;
  if (with_edges_) {
    if (dataset.edge_attr.cols() != std::size_t(spec.edge_dim)) {
      throw Error(dataset.name + ": the model takes " + std::to_string(spec.edge_dim) +
                  " features per edge, the dataset has " +
                  std::to_string(dataset.edge_attr.cols()));
    }
    const std::shared_ptr<const ops::RowMeans> plan = nn::looped_edge_rows(original, looped);
    const std::size_t cols = dataset.edge_attr.cols();
    edge_attr_ = Tensor<float>(std::size_t(looped.num_edges()), cols);
    for (std::size_t e = 0; e + 1 < plan->offsets.size(); ++e) {
      const std::int64_t begin = plan->offsets[e], end = plan->offsets[e + 1];
      if (begin == end) continue;
      const float inv = 1.0f / float(end - begin);
      for (std::int64_t k = begin; k < end; ++k) {
        const float* from =
            dataset.edge_attr.data() + std::size_t(plan->rows[std::size_t(k)]) * cols;
        for (std::size_t c = 0; c < cols; ++c) edge_attr_(e, c) += from[c] * inv;
      }
    }
  }
  graphs_ = batch_from_graph_ids(std::move(looped), dataset.graphs.node_graph());
}

std::vector<std::int64_t> GraphBatchSource::training_order(std::uint64_t seed, int epoch) const {
  std::vector<std::int64_t> order = parts_[0];
  // Fisher-Yates with keyed draws: the order depends on (seed, epoch) only.
  const std::uint64_t key = derive_key(seed, std::uint64_t(epoch));
  for (std::size_t k = order.size(); k > 1; --k) {
    const std::size_t pick = std::size_t(counter_bits(key, k) % k);
    std::swap(order[k - 1], order[pick]);
  }
  return order;
}

void GraphBatchSource::visit_batch(std::span<const std::int64_t> chosen, Part part,
                                   const std::function<void(const Batch&)>& visit) const {
  const GraphBatch batch = select_graphs(graphs_, chosen);
  const Tensor<float> x = gather_blocks(dataset_->x, dataset_->graphs.node_offsets, chosen);
  const Tensor<float> edges =
      with_edges_ ? gather_blocks(edge_attr_, graphs_.edge_offsets, chosen) : Tensor<float>();
  const nn::NodeFeatures<float> features(x);
  Targets targets;
  targets.rows.resize(chosen.size());
  std::iota(targets.rows.begin(), targets.rows.end(), NodeId(0));
  if (task_.kind == TaskKind::kRegression) {
    const std::size_t cols = dataset_->values.cols();
    targets.values = Tensor<float>(chosen.size(), cols);
    for (std::size_t k = 0; k < chosen.size(); ++k) {
      const auto row = dataset_->values.row(std::size_t(chosen[k]));
      std::copy(row.begin(), row.end(), targets.values.data() + k * cols);
    }
  } else {
    for (std::int64_t g : chosen) targets.classes.push_back(dataset_->classes[std::size_t(g)]);
  }
  Batch b;
  b.input = {&batch.graph, &features, with_edges_ ? &edges : nullptr, batch.node_offsets};
  b.targets[std::size_t(part)] = &targets;
  visit(b);
}

void GraphBatchSource::training_batches(std::uint64_t seed, int epoch,
                                        const std::function<void(const Batch&)>& visit) {
  const std::vector<std::int64_t> order = training_order(seed, epoch);
  for (std::size_t at = 0; at < order.size(); at += std::size_t(batch_size_)) {
    const std::size_t count = std::min(order.size() - at, std::size_t(batch_size_));
    visit_batch(std::span<const std::int64_t>(order.data() + at, count), Part::kTrain, visit);
  }
}

void GraphBatchSource::evaluation_batches(const std::function<void(const Batch&)>& visit) {
  for (Part part : kParts) {
    const std::vector<std::int64_t>& graphs = parts_[std::size_t(part)];
    for (std::size_t at = 0; at < graphs.size(); at += std::size_t(batch_size_)) {
      const std::size_t count = std::min(graphs.size() - at, std::size_t(batch_size_));
      visit_batch(std::span<const std::int64_t>(graphs.data() + at, count), part, visit);
    }
  }
}

}  // namespace heed::train
