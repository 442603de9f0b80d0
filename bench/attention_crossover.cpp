#include "attention_crossover.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "heed/autograd/ops.hpp"
#include "heed/autograd/tape.hpp"
#include "heed/error.hpp"
#include "heed/graph/graph.hpp"
#include "heed/tensor/random.hpp"
#include "run_timer.hpp"

namespace heed::bench {
namespace {

Tensor<float> uniform_matrix(std::size_t rows, std::size_t cols, std::uint64_t key) {
  Tensor<float> t(rows, cols);
  for (std::size_t k = 0; k < t.size(); ++k) {
    t.data()[k] = float(double(counter_bits(key, k) >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
  return t;
}

// Every node's in-neighbours: itself and degree - 1 others chosen uniformly
// without repeats by selection sampling (Knuth's algorithm S), which visits
// the candidates in order, so rows come out sorted.
Graph random_regular_in_degree(std::int64_t n, std::int64_t degree, std::uint64_t seed) {
  EdgeList edges;
  edges.src.reserve(std::size_t(n * degree));
  edges.dst.reserve(std::size_t(n * degree));
  std::uint64_t draw = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    edges.add(NodeId(i), NodeId(i));
    std::int64_t needed = degree - 1, remaining = n - 1;
    for (std::int64_t j = 0; j < n && needed > 0; ++j) {
      if (j == i) continue;
      const double u = double(counter_bits(seed, draw++) >> 11) * 0x1.0p-53;
      if (double(remaining) * u < double(needed)) {
        edges.add(NodeId(j), NodeId(i));
        --needed;
      }
      --remaining;
    }
  }
  return Graph(n, edges);
}

}  // namespace

nlohmann::json run_attention_crossover(const CrossoverCase& c) {
  if (c.nodes < 2 || !(c.density > 0 && c.density <= 1) || c.width % c.heads != 0) {
    throw Error(
        "attention crossover: need nodes >= 2, density in (0, 1] and width divisible "
        "by heads");
  }
  const std::int64_t degree =
      std::clamp<std::int64_t>(std::llround(c.density * double(c.nodes)), 1, c.nodes);
  const Graph graph = random_regular_in_degree(c.nodes, degree, c.seed);
  const std::size_t n = std::size_t(c.nodes), w = std::size_t(c.width);
  // The transformer's mask: row i allows i's in-neighbours.
  const auto mask = std::make_shared<const std::vector<std::uint8_t>>(dense_adjacency(graph));
  const Tensor<float> q = uniform_matrix(n, w, derive_key(c.seed, 1));
  const Tensor<float> k = uniform_matrix(n, w, derive_key(c.seed, 2));
  const Tensor<float> v = uniform_matrix(n, w, derive_key(c.seed, 3));
  const Tensor<float> upstream = uniform_matrix(n, w, derive_key(c.seed, 4));
  const kernels::HeadShape shape{c.heads, c.width / c.heads};
  // A pool as the transformer keeps one: the N x N buffers are reused.
  auto pool = std::make_shared<TensorPool<float>>(2);

  auto pass = [&](bool dense, bool backward) {
    Tape<float> tape;
    Var<float> vq = tape.variable(q), vk = tape.variable(k), vv = tape.variable(v);
    Var<float> out = dense ? ops::dense_attention<float>(vq, vk, vv, c.heads, mask, nullptr, pool)
                           : ops::graph_dot_attention(vq, vk, vv, graph, shape);
    if (backward) tape.backward(out, upstream);
  };
  nlohmann::json j = {{"benchmark", "attention_crossover"},
                      {"nodes", c.nodes},
                      {"density", c.density},
                      {"in_degree", degree},
                      {"edges", graph.num_edges()},
                      {"width", c.width},
                      {"heads", c.heads},
                      {"repeats", c.repeats}};
  for (bool dense : {false, true}) {
    for (bool backward : {false, true}) {
      const RunTimes t = time_runs(1, c.repeats, [&] { pass(dense, backward); });
      const std::string key =
          std::string(dense ? "dense" : "sparse") + (backward ? "_fwd_bwd_ms" : "_fwd_ms");
      j[key] = t.median_ms;
    }
  }
  return j;
}

double crossover_density(const std::vector<nlohmann::json>& results, const char* measure) {
  const std::string dense = std::string("dense_") + measure + "_ms";
  const std::string sparse = std::string("sparse_") + measure + "_ms";
  double from = -1;
  for (const nlohmann::json& r : results) {
    const bool dense_wins = r.at(dense).get<double>() <= r.at(sparse).get<double>();
    if (dense_wins && from < 0) from = r.at("density").get<double>();
    if (!dense_wins) from = -1;
  }
  return from;
}

}  // namespace heed::bench
