#include "graph_epoch_benchmark.hpp"

#include <numeric>

#include "heed/data/dataset.hpp"
#include "heed/data/graph_dataset.hpp"
#include "heed/optim/adam.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/tensor/buffer_cache.hpp"
#include "heed/train/graph_batch_source.hpp"
#include "process_memory.hpp"
#include "run_timer.hpp"

namespace heed::bench {

nlohmann::json run_graph_epoch_benchmark(const GraphEpochCase& c) {
  const data::GraphDataset dataset = data::read_graph_dataset(data::resolve_dataset(c.data));
  nn::ModelSpec spec;
  spec.model = "gat";
  spec.heads = 8;
  spec.hidden_channels = 8;
  spec.layers = 2;
  spec.readout = nn::Readout::kMean;
  spec.dropout = 0;
  spec.attention_dropout = 0;
  spec.in_channels = int(dataset.x.cols());
  spec.out_channels = dataset.is_regression() ? int(dataset.values.cols()) : dataset.num_classes;
  spec.validate();

  // Every graph trains; the other parts are only there to be non-empty.
  std::vector<std::int64_t> all(std::size_t(dataset.num_graphs()));
  std::iota(all.begin(), all.end(), std::int64_t(0));
  train::GraphBatchSource source(dataset, spec, {all, {0}, {0}}, c.batch_size);
  Rng rng(c.seed);
  const std::unique_ptr<nn::Model<float>> model = nn::make_model<float>(spec, rng);
  optim::Adam<float> adam(model->parameters(), {.lr = 0.01, .weight_decay = 0});
  const train::Task& task = source.task();
  const auto cache = std::make_shared<BufferCache>();

  int epoch = 0;
  const RunTimes train_times = time_runs(2, c.epochs, [&] {
    source.training_batches(c.seed, ++epoch, [&](const train::Batch& b) {
      adam.zero_grad();
      {
        Tape<float> tape(cache);
        Var<float> out = model->forward(tape, b.input, nn::ForwardContext{true, rng.next_key()});
        tape.backward(train::task_loss(task, out, *b.of(train::Part::kTrain)));
      }
      adam.step();
    });
  });
  const RunTimes eval_times = time_runs(2, c.epochs, [&] {
    source.training_batches(c.seed, 1, [&](const train::Batch& b) {
      Tape<float> tape(cache, Tape<float>::Gradients::kOff);
      model->forward(tape, b.input, nn::ForwardContext{false, 0});
    });
  });
  return {{"layer", "gat-2layer-graph-epoch"},
          {"data", dataset.name},
          {"graphs", dataset.num_graphs()},
          {"nodes", dataset.graphs.graph.num_nodes()},
          {"edges", dataset.graphs.graph.num_edges()},
          {"features", dataset.x.cols()},
          {"batch_size", c.batch_size},
          {"threads", num_threads()},
          {"blas_core", blas_core()},
          {"blas_threading", blas_threading()},
          {"repeats", c.epochs},
          {"epoch_ms", train_times.median_ms},
          {"epoch_ms_min", train_times.min_ms},
          {"epoch_ms_max", train_times.max_ms},
          {"eval_ms", eval_times.median_ms},
          {"peak_rss_mib", peak_rss_mib()}};
}

}  // namespace heed::bench
