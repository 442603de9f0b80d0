#pragma once
// One catalogue of kernel cases for the tests and for `heed bench`, as
// ggml's test-backend-ops shares its cases: what is timed is what is tested.
// A case names a kernel and its sizes; KernelProblem builds its inputs
// (seeded) and runs the kernel forward and backward; `reference` computes
// the same results with plain loops per destination in double; the test
// checks each result by its normalised error against the reference, within
// the case's own bound. Small cases run in tests (tests/kernels/
// kernel_catalogue_test.cpp), large ones in the bench's kernel tables.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "heed/graph/graph.hpp"
#include "heed/kernels/gat_attention.hpp"
#include "heed/tensor/random.hpp"

namespace heed::bench {

struct KernelCase {
  /// gat (node-term scores), gat_edge (with an edge term), gatv2,
  /// dot_product (scaled dot products) or scaled_aggregate (GCN's normalised sum, with a bias).
  std::string kernel;
  std::string graph = "uniform";  // uniform or powerlaw (R-MAT)
  std::int64_t nodes = 40;
  std::int64_t edges = 200;  // before self loops
  bool self_loops = true;    // without them, some nodes have no in-edge
  int heads = 1;
  int channels = 8;  // per head
  double dropout = 0.0;
  std::uint64_t seed = 1;
  /// Whether the forward writes alpha where that is optional (GAT, which
  /// training runs without it); the tests read it, the bench's tables time
  /// what training runs.
  bool attention_out = true;
  /// Bounds on the normalised error sum (got - want)^2 / sum want^2 of every
  /// result, in each precision.
  double max_nmse_float = 1e-11;
  double max_nmse_double = 1e-24;

  std::string label() const;
};

/// The names of the kernels the catalogue covers.
std::vector<std::string> catalogue_kernels();
/// The small cases the tests run: every kernel, its vector and scalar head
/// paths, the compile-time and run-time widths, dropout, and nodes without
/// in-edges.
std::vector<KernelCase> test_cases();

using NamedResults = std::vector<std::pair<std::string, std::vector<double>>>;

/// A case's inputs, built once, and its kernel run on them. Results are
/// named: "alpha" and "out" after forward, "grad_<input>" after backward
/// (gradients start at 1, so the kernel's += is checked too).
template <class T>
class KernelProblem {
 public:
  explicit KernelProblem(const KernelCase& c);
  ~KernelProblem();
  KernelProblem(const KernelProblem&) = delete;
  KernelProblem& operator=(const KernelProblem&) = delete;

  void forward();
  void backward();
  NamedResults results() const;
  /// What forward and backward must move at least (index arrays, each
  /// gathered neighbour row once, each output once), for their bandwidth.
  double forward_bytes() const;
  double backward_bytes() const;
  const Graph& graph() const;
  const KernelCase& spec() const;

  struct Data;
  const Data& data() const { return *data_; }

 private:
  std::unique_ptr<Data> data_;
};

/// The case's results computed from the problem's own inputs with plain
/// loops, destination by destination, in double.
template <class T>
NamedResults reference(const KernelProblem<T>& problem);

/// sum (got - want)^2 / sum want^2 (0 when both are zero).
double normalised_error(const std::vector<double>& want, const std::vector<double>& got);

extern template class KernelProblem<float>;
extern template class KernelProblem<double>;

}  // namespace heed::bench
