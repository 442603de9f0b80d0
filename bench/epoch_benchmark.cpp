#include "epoch_benchmark.hpp"

#include "heed/autograd/ops.hpp"
#include "heed/data/dataset.hpp"
#include "heed/nn/model.hpp"
#include "heed/optim/adam.hpp"
#include "heed/tensor/blas.hpp"
#include "heed/tensor/buffer_cache.hpp"
#include "heed/train/trainer.hpp"
#include "process_memory.hpp"
#include "run_timer.hpp"

namespace heed::bench {

nlohmann::json run_epoch_benchmark(const EpochCase& c) {
  const data::Dataset dataset = data::load_dataset(c.data, data::LoadOptions{true});
  const Graph graph = dataset.graph.with_self_loops();
  const nn::NodeFeatures<float> x(dataset.x);
  const data::Split& split = dataset.split("public");
  const std::span<const std::int32_t> labels(dataset.y);

  // The paper's transductive model and optimiser (heed train's defaults).
  nn::ModelSpec spec;
  spec.in_channels = dataset.num_features();
  spec.out_channels = dataset.num_classes;
  Rng rng(c.seed);
  const std::unique_ptr<nn::Model<float>> model = nn::make_model<float>(spec, rng);
  optim::Adam<float> adam(model->parameters(), train::TrainOptions{}.adam);
  std::vector<std::int32_t> classes;
  for (NodeId r : split.train) classes.push_back(labels[std::size_t(r)]);

  auto forward = [&](Tape<float>& tape) {
    Var<float> out = model->forward(tape, x, graph, nn::ForwardContext{true, rng.next_key()});
    return ops::cross_entropy(out, std::span<const NodeId>(split.train),
                              std::span<const std::int32_t>(classes));
  };
  // As the trainer does: buffers stay mapped from one epoch to the next.
  const auto cache = std::make_shared<BufferCache>();
  const int warmups = 3;
  RunTimes fwd = time_runs(warmups, c.epochs, [&] {
    Tape<float> tape(cache);
    forward(tape);
  });
  RunTimes epoch = time_runs(warmups, c.epochs, [&] {
    adam.zero_grad();
    Tape<float> tape(cache);
    tape.backward(forward(tape));
    adam.step();
  });
  RunTimes eval = time_runs(warmups, c.epochs, [&] {
    Tape<float> tape(cache, Tape<float>::Gradients::kOff);
    model->forward(tape, x, graph, nn::ForwardContext{false, 0});
  });

  return {{"layer", "gat-2layer-epoch"},
          {"data", dataset.name},
          {"nodes", graph.num_nodes()},
          {"edges", dataset.graph.num_edges()},
          {"edges_with_self_loops", graph.num_edges()},
          {"features", dataset.num_features()},
          {"threads", num_threads()},
          {"blas_core", blas_core()},
          {"blas_threading", blas_threading()},
          {"repeats", c.epochs},
          {"fwd_ms", fwd.median_ms},
          {"fwd_ms_min", fwd.min_ms},
          {"fwd_ms_max", fwd.max_ms},
          {"fwd_bwd_ms", epoch.median_ms},
          {"fwd_bwd_ms_min", epoch.min_ms},
          {"fwd_bwd_ms_max", epoch.max_ms},
          {"eval_ms", eval.median_ms},
          {"peak_rss_mib", peak_rss_mib()}};
}

}  // namespace heed::bench
