#include "heed/graph/laplacian_encoding.hpp"

#include <Spectra/SymEigsSolver.h>
#include <Eigen/Dense>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "heed/error.hpp"

namespace heed {
namespace {

using SparseMatrix = Eigen::SparseMatrix<double>;

// The undirected simple graph under `graph`: neighbour lists without self
// loops or repeats, so that degrees count each neighbour once.
std::vector<std::vector<NodeId>> undirected_neighbours(const Graph& graph) {
  const std::int64_t n = graph.num_nodes();
  std::vector<std::vector<NodeId>> adj{std::size_t(n)};
  for (std::int64_t i = 0; i < n; ++i) {
    for (NodeId j : graph.in().neighbours(i)) {
      if (j == NodeId(i)) continue;
      adj[std::size_t(i)].push_back(j);
      adj[std::size_t(j)].push_back(NodeId(i));
    }
  }
  for (auto& list : adj) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return adj;
}

// Component id of every node, by breadth-first search.
std::vector<int> component_ids(const std::vector<std::vector<NodeId>>& adj, int* count) {
  std::vector<int> id(adj.size(), -1);
  std::vector<NodeId> queue;
  int c = 0;
  for (std::size_t s = 0; s < adj.size(); ++s) {
    if (id[s] >= 0) continue;
    id[s] = c;
    queue.assign(1, NodeId(s));
    for (std::size_t q = 0; q < queue.size(); ++q) {
      for (NodeId j : adj[std::size_t(queue[q])]) {
        if (id[std::size_t(j)] < 0) {
          id[std::size_t(j)] = c;
          queue.push_back(j);
        }
      }
    }
    ++c;
  }
  *count = c;
  return id;
}

// The null space of L, one unit vector per component: D^1/2 1 on the
// component (e_i for an isolated node). Stored as the component of each
// node and each node's entry.
struct NullSpace {
  std::vector<int> component;
  std::vector<double> entry;
  int count = 0;

  // x -= sum_c u_c (u_c . x)
  void project_out(double* x) const {
    std::vector<double> dots(std::size_t(count), 0.0);
    for (std::size_t i = 0; i < entry.size(); ++i)
      dots[std::size_t(component[i])] += entry[i] * x[i];
    for (std::size_t i = 0; i < entry.size(); ++i)
      x[i] -= entry[i] * dots[std::size_t(component[i])];
  }
};

NullSpace null_space(const std::vector<std::vector<NodeId>>& adj) {
  NullSpace ns;
  ns.component = component_ids(adj, &ns.count);
  ns.entry.resize(adj.size());
  std::vector<double> norm2(std::size_t(ns.count), 0.0);
  for (std::size_t i = 0; i < adj.size(); ++i) {
    ns.entry[i] = adj[i].empty() ? 1.0 : std::sqrt(double(adj[i].size()));
    norm2[std::size_t(ns.component[i])] += ns.entry[i] * ns.entry[i];
  }
  for (std::size_t i = 0; i < adj.size(); ++i) {
    ns.entry[i] /= std::sqrt(norm2[std::size_t(ns.component[i])]);
  }
  return ns;
}

SparseMatrix normalised_laplacian(const std::vector<std::vector<NodeId>>& adj) {
  const auto n = Eigen::Index(adj.size());
  std::vector<Eigen::Triplet<double>> entries;
  for (std::size_t i = 0; i < adj.size(); ++i) {
    if (adj[i].empty()) continue;  // an isolated node's row stays zero
    entries.emplace_back(Eigen::Index(i), Eigen::Index(i), 1.0);
    const double di = double(adj[i].size());
    for (NodeId j : adj[i]) {
      const double dj = double(adj[std::size_t(j)].size());
      entries.emplace_back(Eigen::Index(i), Eigen::Index(j), -1.0 / std::sqrt(di * dj));
    }
  }
  SparseMatrix l(n, n);
  l.setFromTriplets(entries.begin(), entries.end());
  return l;
}

// y = P (L + sigma I)^-1 P x, P the projection off the null space: its
// largest eigenvalues are 1 / (lambda + sigma) for the smallest non-zero
// eigenvalues lambda of L, well separated, so Lanczos converges in few
// steps; the null space maps to 0 and is never found.
class ShiftInvertOffNullSpace {
 public:
  using Scalar = double;
  ShiftInvertOffNullSpace(const SparseMatrix& l, double sigma, const NullSpace& ns)
      : ns_(ns), n_(l.rows()) {
    SparseMatrix shifted = l;
    for (Eigen::Index i = 0; i < n_; ++i) shifted.coeffRef(i, i) += sigma;
    cholesky_.compute(shifted);
    if (cholesky_.info() != Eigen::Success) {
      throw Error("laplacian encoding: the sparse Cholesky factorisation of L + sigma I failed");
    }
  }
  Eigen::Index rows() const { return n_; }
  Eigen::Index cols() const { return n_; }
  void perform_op(const double* x_in, double* y_out) const {
    Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x_in, n_);
    ns_.project_out(x.data());
    Eigen::VectorXd y = cholesky_.solve(x);
    ns_.project_out(y.data());
    Eigen::Map<Eigen::VectorXd>(y_out, n_) = y;
  }

 private:
  const NullSpace& ns_;
  Eigen::Index n_;
  Eigen::SimplicialLDLT<SparseMatrix> cholesky_;
};

// Columns of `vectors` (n x found, column-major) with eigenvalues, ascending.
struct Eigenpairs {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
};

Eigenpairs solve_dense(const SparseMatrix& l, const NullSpace& ns, int want) {
  // Lift the null space above the spectrum (L's eigenvalues are in [0, 2]):
  // L + 3 U U^T has the same eigenvectors, and the zero ones come last.
  const Eigen::Index n = l.rows();
  Eigen::MatrixXd m = Eigen::MatrixXd(l);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      if (ns.component[std::size_t(i)] == ns.component[std::size_t(j)]) {
        m(i, j) += 3.0 * ns.entry[std::size_t(i)] * ns.entry[std::size_t(j)];
      }
    }
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(m);
  if (solver.info() != Eigen::Success) {
    throw Error("laplacian encoding: the dense eigensolver did not converge");
  }
  // Eigen returns ascending eigenvalues.
  return {solver.eigenvalues().head(want), solver.eigenvectors().leftCols(want)};
}

Eigenpairs solve_sparse(const SparseMatrix& l, const NullSpace& ns, int want) {
  const double sigma = 1e-3;
  ShiftInvertOffNullSpace op(l, sigma, ns);
  const Eigen::Index n = l.rows();
  const Eigen::Index ncv = std::min<Eigen::Index>(n, std::max<Eigen::Index>(2 * want + 1, 32));
  Spectra::SymEigsSolver<ShiftInvertOffNullSpace> eigs(op, want, ncv);
  eigs.init();  // Spectra's fixed-seed start vector: the same result every run
  eigs.compute(Spectra::SortRule::LargestAlge, 1000, 1e-10);
  if (eigs.info() != Spectra::CompInfo::Successful) {
    throw Error("laplacian encoding: the sparse eigensolver did not converge for " +
                std::to_string(want) + " eigenvectors of " + std::to_string(n) + " nodes");
  }
  // theta = 1 / (lambda + sigma), largest first: lambda ascending.
  Eigenpairs pairs{eigs.eigenvalues(), eigs.eigenvectors()};
  for (Eigen::Index c = 0; c < pairs.values.size(); ++c) {
    pairs.values(c) = 1.0 / pairs.values(c) - sigma;
  }
  return pairs;
}

}  // namespace

LaplacianEncoding laplacian_encoding(const Graph& graph, int k, EigenSolver solver) {
  if (k < 1) throw Error("laplacian encoding: k must be >= 1, got " + std::to_string(k));
  const std::int64_t n = graph.num_nodes();
  const auto adj = undirected_neighbours(graph);
  const NullSpace ns = null_space(adj);
  LaplacianEncoding enc;
  enc.nodes = n;
  enc.k = k;
  enc.components = ns.count;
  enc.eigenvalues.assign(std::size_t(k), 0.0);
  enc.vectors.assign(std::size_t(n) * std::size_t(k), 0.0);
  const std::int64_t nonzero = n - ns.count;
  const int want = int(std::min<std::int64_t>(k, nonzero));
  if (want == 0) return enc;
  const SparseMatrix l = normalised_laplacian(adj);
  // Lanczos needs room beyond the wanted eigenvalues; small or nearly
  // exhausted spectra go to the dense solver.
  const bool dense = solver == EigenSolver::kDense ||
                     (solver == EigenSolver::kAuto && n <= kDenseLaplacianNodes) ||
                     2 * std::int64_t(want) + 1 > nonzero;
  const Eigenpairs pairs = dense ? solve_dense(l, ns, want) : solve_sparse(l, ns, want);
  enc.found = want;
  for (int c = 0; c < want; ++c) {
    Eigen::VectorXd v = pairs.vectors.col(c);
    v.normalize();
    // The first entry within a hair of the largest magnitude: ties (as in a
    // cycle's +-peaks) must not be settled by rounding noise.
    const double peak = v.cwiseAbs().maxCoeff();
    Eigen::Index top = 0;
    while (std::abs(v(top)) < peak * (1 - 1e-6)) ++top;
    if (v(top) < 0) v = -v;
    enc.eigenvalues[std::size_t(c)] = pairs.values(c);
    for (std::int64_t i = 0; i < n; ++i) {
      enc.vectors[std::size_t(i) * std::size_t(k) + std::size_t(c)] = v(Eigen::Index(i));
    }
  }
  return enc;
}

std::vector<double> laplacian_encodings_per_graph(const Graph& batch,
                                                  std::span<const std::int64_t> offsets, int k) {
  if (k < 1) throw Error("laplacian encoding: k must be >= 1, got " + std::to_string(k));
  const std::int64_t n = batch.num_nodes();
  if (offsets.size() < 2 || offsets.front() != 0 || offsets.back() != n) {
    throw Error("laplacian encoding: the graph offsets do not cover the batch's " +
                std::to_string(n) + " nodes");
  }
  std::vector<double> out(std::size_t(n) * std::size_t(k), 0.0);
  for (std::size_t g = 0; g + 1 < offsets.size(); ++g) {
    const std::int64_t first = offsets[g], last = offsets[g + 1];
    if (last < first) throw Error("laplacian encoding: the graph offsets decrease");
    EdgeList edges;
    for (std::int64_t i = first; i < last; ++i) {
      for (NodeId j : batch.in().neighbours(i)) {
        if (j < first || j >= last) {
          throw Error("laplacian encoding: the edge " + std::to_string(j) + " -> " +
                      std::to_string(i) + " joins graph " + std::to_string(g) +
                      " to another graph of the batch");
        }
        edges.add(NodeId(j - first), NodeId(i - first));
      }
    }
    const LaplacianEncoding e = laplacian_encoding(Graph(last - first, edges), k);
    std::copy(e.vectors.begin(), e.vectors.end(),
              out.begin() + std::ptrdiff_t(first) * std::ptrdiff_t(k));
  }
  return out;
}

}  // namespace heed
