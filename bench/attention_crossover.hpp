#pragma once
// The hardware lottery on this CPU (issue #5): the same scaled dot-product
// attention computed sparsely on a graph's edges (heed's fused CSR kernel)
// and densely as a transformer does (N x N scores through BLAS, masked by the
// adjacency), on random graphs of one size as the edge density grows.
// Dense work is N^2 whatever the density; sparse work is the edge count, at
// a lower rate per edge than BLAS reaches. The crossover is the density
// from which dense is faster.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace heed::bench {

struct CrossoverCase {
  std::int64_t nodes = 4000;
  double density = 0.01;  // share of the N^2 pairs that are edges (self loops included)
  int width = 64;         // q, k, v columns
  int heads = 1;
  int repeats = 3;
  std::uint64_t seed = 0;
};

/// One size and density: the graph (every node gets round(density * N)
/// in-neighbours, itself among them, the rest uniform without repeats), then
/// median times of the forward pass and of forward + backward through the
/// tape, sparse and dense. JSON: nodes, density, edges, and
/// {sparse,dense}_{fwd,fwd_bwd}_ms.
nlohmann::json run_attention_crossover(const CrossoverCase& c);

/// The smallest density of `results` (one size, ascending densities) from
/// which dense stays at least as fast as sparse for `measure` ("fwd" or
/// "fwd_bwd"); negative if it never is.
double crossover_density(const std::vector<nlohmann::json>& results, const char* measure);

}  // namespace heed::bench
