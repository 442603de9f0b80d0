#include "heed/data/random_graph.hpp"

#include <bit>
#include <string>

#include "heed/error.hpp"
#include "heed/tensor/random.hpp"

namespace heed::data {
namespace {

void check(std::int64_t num_nodes, std::int64_t num_edges, const char* what) {
  if (num_nodes < 1 || num_nodes > std::int64_t(INT32_MAX)) {
    throw Error(std::string(what) + ": num_nodes must be in [1, 2^31), got " +
                std::to_string(num_nodes));
  }
  if (num_edges < 0) {
    throw Error(std::string(what) + ": num_edges must be >= 0, got " + std::to_string(num_edges));
  }
}

// A uniform integer in [0, n) for n < 2^31 from the top 32 of 64 random bits
// (Lemire's multiply-shift; its bias, below n / 2^32, no benchmark can see).
NodeId below(std::uint64_t bits, std::int64_t n) {
  return NodeId(((bits >> 32) * std::uint64_t(n)) >> 32);
}

}  // namespace

EdgeList uniform_random_edges(std::int64_t num_nodes, std::int64_t num_edges, std::uint64_t seed) {
  check(num_nodes, num_edges, "uniform_random_edges");
  EdgeList edges;
  edges.src.resize(std::size_t(num_edges));
  edges.dst.resize(std::size_t(num_edges));
  const std::uint64_t key = derive_key(seed, 1);
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < num_edges; ++e) {
    edges.src[std::size_t(e)] = below(counter_bits(key, 2 * std::uint64_t(e)), num_nodes);
    edges.dst[std::size_t(e)] = below(counter_bits(key, 2 * std::uint64_t(e) + 1), num_nodes);
  }
  return edges;
}

EdgeList rmat_edges(std::int64_t num_nodes, std::int64_t num_edges, std::uint64_t seed,
                    const RmatOptions& options) {
  check(num_nodes, num_edges, "rmat_edges");
  const double a = options.a, b = options.b, c = options.c;
  if (!(a >= 0 && b >= 0 && c >= 0 && a + b + c <= 1)) {
    throw Error("rmat_edges: a, b, c must be >= 0 with a + b + c <= 1");
  }
  const int levels = std::bit_width(std::uint64_t(num_nodes - 1));
  // Thresholds on 53-bit uniforms for "row half" and "column half" choices.
  auto threshold = [](double p) { return std::uint64_t(p * 0x1.0p53); };
  const std::uint64_t t_a = threshold(a), t_ab = threshold(a + b), t_abc = threshold(a + b + c);
  EdgeList edges;
  edges.src.resize(std::size_t(num_edges));
  edges.dst.resize(std::size_t(num_edges));
  const std::uint64_t key = derive_key(seed, 2);
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < num_edges; ++e) {
    // Each edge has its own stream: draw k of edge e is counter (e << 16) + k.
    std::uint64_t counter = std::uint64_t(e) << 16;
    std::int64_t src = 0, dst = 0;
    do {
      src = dst = 0;
      for (int level = 0; level < levels; ++level) {
        const std::uint64_t u = counter_bits(key, counter++) >> 11;
        const int quadrant = u < t_a ? 0 : u < t_ab ? 1 : u < t_abc ? 2 : 3;
        // Quadrants a, b, c, d: (row, col) halves (0,0), (0,1), (1,0), (1,1);
        // the row is the source, the column the destination.
        src = (src << 1) | (quadrant >> 1);
        dst = (dst << 1) | (quadrant & 1);
      }
    } while (src >= num_nodes || dst >= num_nodes);
    edges.src[std::size_t(e)] = NodeId(src);
    edges.dst[std::size_t(e)] = NodeId(dst);
  }
  return edges;
}

}  // namespace heed::data
