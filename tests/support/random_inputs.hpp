#pragma once
// Reproducible random inputs for kernel tests: values and small graphs.
#include <random>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::testing {

/// n values uniform in [lo, hi), reproducible from `seed`.
template <class T>
std::vector<T> random_values(std::size_t n, unsigned seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = T(u(engine));
  return v;
}

/// `edges` random directed edges on `nodes` nodes, duplicates removed; with
/// self_loops exactly one loop per node, else none.
inline Graph random_graph(int nodes, int edges, unsigned seed, bool self_loops = true) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> pick(0, nodes - 1);
  EdgeList e;
  for (int k = 0; k < edges; ++k) e.add(pick(engine), pick(engine));
  GraphOptions o;
  o.add_self_loops = self_loops;
  o.remove_self_loops = !self_loops;
  return Graph(nodes, e, o);
}

}  // namespace heed::testing
