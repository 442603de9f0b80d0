#include "kernel_cases.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <span>
#include <string>

#include "heed/data/random_graph.hpp"
#include "heed/error.hpp"
#include "heed/kernels/aggregate.hpp"
#include "heed/kernels/dot_product_attention.hpp"
#include "heed/kernels/gat_edge_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed::bench {
namespace {

constexpr double kSlope = 0.2;

// Reproducible values in [-1, 1), one stream per input name. Tensors, not
// vectors: large ones are mapped in huge pages, as a model's are, and the
// kernels' random row gathers would otherwise time TLB misses.
template <class T>
Tensor<T> values(std::size_t n, std::uint64_t seed, const std::string& name) {
  std::uint64_t key = seed;
  for (char ch : name) key = derive_key(key, std::uint64_t(std::uint8_t(ch)));
  Tensor<T> v(1, n);
  for (std::size_t k = 0; k < n; ++k) {
    v.data()[k] = T(double(counter_bits(key, k) >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
  return v;
}

template <class T>
Tensor<T> filled(std::size_t n, T value) {
  Tensor<T> t(1, n);
  t.fill(value);
  return t;
}

Graph case_graph(const KernelCase& c) {
  EdgeList edges = c.graph == "powerlaw" ? data::rmat_edges(c.nodes, c.edges, c.seed)
                                         : data::uniform_random_edges(c.nodes, c.edges, c.seed);
  GraphOptions o;
  o.add_self_loops = c.self_loops;
  o.remove_self_loops = !c.self_loops;
  return Graph(c.nodes, edges, o);
}

// Which inputs each kernel reads, and which of them have gradients.
struct Inputs {
  std::vector<std::string> node_wide;   // N x W
  std::vector<std::string> node_heads;  // N x H
  std::vector<std::string> edge_heads;  // E x H
  std::vector<std::string> edge_wide;   // E x W
  std::vector<std::string> vectors;     // 1 x W
};

Inputs inputs_of(const std::string& kernel) {
  if (kernel == "gat_attention") return {{"z"}, {"s_src", "s_dst"}, {}, {}, {}};
  if (kernel == "gat_edge_attention") return {{"z"}, {"s_src", "s_dst"}, {"s_edge"}, {}, {}};
  if (kernel == "gatv2_attention") return {{"x_src", "x_dst"}, {}, {}, {}, {"att"}};
  if (kernel == "gatv2_edge_attention") return {{"x_src", "x_dst"}, {}, {}, {"x_edge"}, {"att"}};
  if (kernel == "dot_product_attention") return {{"q", "k", "v"}, {}, {}, {}, {}};
  if (kernel == "scaled_aggregate") return {{"z"}, {}, {}, {}, {}};
  throw Error("kernel catalogue: no kernel '" + kernel + "'");
}

bool attends(const std::string& kernel) {
  return kernel != "scaled_aggregate";
}

}  // namespace

std::string KernelCase::label() const {
  std::string s = kernel + "_" + graph + "_n" + std::to_string(nodes) + "_e" +
                  std::to_string(edges) + "_h" + std::to_string(heads) + "_f" +
                  std::to_string(channels);
  if (dropout > 0) s += "_dropout";
  if (!self_loops) s += "_noloops";
  return s;
}

std::vector<std::string> catalogue_kernels() {
  return {"gat_attention",        "gat_edge_attention",    "gatv2_attention",
          "gatv2_edge_attention", "dot_product_attention", "scaled_aggregate"};
}

std::vector<KernelCase> test_cases() {
  struct Shape {
    int heads, channels;
    double dropout;
    bool loops;
  };
  // 8 heads take the vector paths (8 x 8: the register-blocked ones), other
  // head counts the scalar ones; 4, 8, 16, 64 are compile-time widths, 3, 5,
  // 13, 19 run-time ones; without self loops some nodes have no in-edge.
  const std::vector<std::pair<std::string, std::vector<Shape>>> plan{
      {"gat_attention",
       {{3, 4, 0, true},
        {8, 8, 0.3, true},
        {8, 5, 0, true},
        {8, 16, 0, false},
        {1, 8, 0, true},
        {1, 3, 0.5, true},
        {3, 64, 0, true},
        {2, 8, 0.4, false}}},
      {"gat_edge_attention", {{3, 4, 0, true}, {8, 8, 0.3, true}, {2, 5, 0, false}}},
      {"gatv2_attention",
       {{3, 4, 0, true},
        {2, 8, 0.5, true},
        {8, 8, 0, true},
        {8, 8, 0.3, false},
        {8, 16, 0, true},
        {8, 5, 0.2, true},
        {1, 8, 0, true},
        {1, 13, 0.3, true},
        {2, 3, 0, false}}},
      {"gatv2_edge_attention", {{2, 4, 0, true}, {3, 8, 0.2, false}, {8, 8, 0.3, true}}},
      {"dot_product_attention", {{2, 4, 0, true}, {4, 8, 0.3, true}, {1, 16, 0, false}}},
      {"scaled_aggregate", {{1, 5, 0, true}, {1, 64, 0, true}, {1, 19, 0, false}}},
  };
  std::vector<KernelCase> cases;
  std::uint64_t seed = 1;
  for (const auto& [kernel, shapes] : plan) {
    for (const Shape& s : shapes) {
      KernelCase c;
      c.kernel = kernel;
      c.nodes = 40;
      c.edges = 200;
      c.heads = s.heads;
      c.channels = s.channels;
      c.dropout = s.dropout;
      c.self_loops = s.loops;
      c.seed = seed++;
      cases.push_back(c);
    }
  }
  // A power-law graph: hubs with many in-edges in one row range.
  KernelCase hub;
  hub.kernel = "gat_attention";
  hub.graph = "powerlaw";
  hub.nodes = 300;
  hub.edges = 3000;
  hub.heads = 8;
  hub.channels = 8;
  hub.dropout = 0.2;
  cases.push_back(hub);
  return cases;
}

template <class T>
struct KernelProblem<T>::Data {
  KernelCase c;
  Graph graph;
  kernels::HeadShape shape;
  std::size_t n = 0, e = 0, H = 0, W = 0;
  std::map<std::string, Tensor<T>> in;    // inputs by name, as 1 x size
  std::map<std::string, Tensor<T>> grad;  // their gradients (start at 1)
  Tensor<T> grad_out, alpha, out, work;
  Tensor<T> node_terms, positive_out;  // gat_attention's state for its backward
  kernels::AggregateScales<T> scales;  // scaled_aggregate's: GCN's
  Tensor<T> bias;                      // scaled_aggregate's (1 x W)
  KeyedDropout<T> drop;

  std::span<const T> input(const std::string& name) const {
    auto it = in.find(name);
    return it == in.end() ? std::span<const T>() : it->second.values();
  }
  std::span<T> gradient(const std::string& name) {
    auto it = grad.find(name);
    return it == grad.end() ? std::span<T>() : it->second.values();
  }
};

template <class T>
KernelProblem<T>::KernelProblem(const KernelCase& c) : data_(std::make_unique<Data>()) {
  Data& d = *data_;
  d.c = c;
  d.graph = case_graph(c);
  d.shape = {c.heads, c.channels};
  d.n = std::size_t(d.graph.num_nodes());
  d.e = std::size_t(d.graph.num_edges());
  d.H = std::size_t(c.heads);
  d.W = std::size_t(d.shape.width());
  const Inputs inputs = inputs_of(c.kernel);
  auto add = [&](const std::string& name, std::size_t size) {
    d.in[name] = values<T>(size, c.seed, name);
    d.grad[name] = filled<T>(size, T(1));
  };
  for (const auto& name : inputs.node_wide) add(name, d.n * d.W);
  for (const auto& name : inputs.node_heads) add(name, d.n * d.H);
  for (const auto& name : inputs.edge_heads) add(name, d.e * d.H);
  for (const auto& name : inputs.edge_wide) add(name, d.e * d.W);
  for (const auto& name : inputs.vectors) add(name, d.W);
  d.grad_out = values<T>(d.n * d.W, c.seed, "grad_out");
  // GAT and GATv2 write alpha only when it is to be read; the others always do.
  const bool recomputes = c.kernel == "gat_attention" || c.kernel.rfind("gatv2", 0) == 0;
  const bool alpha = attends(c.kernel) && (c.attention_out || !recomputes);
  d.alpha = Tensor<T>(1, alpha ? d.e * d.H : 0);
  d.out = Tensor<T>(1, d.n * d.W);
  const bool work = attends(c.kernel) && !recomputes;
  d.work = Tensor<T>(1, work ? d.e * d.H : 0);
  if (c.kernel == "gat_attention") {
    d.node_terms = Tensor<T>(1, d.n * kernels::kGatNodeTerms * d.H);
    d.positive_out = Tensor<T>(1, d.n * d.W);
  } else if (recomputes) {
    d.node_terms = Tensor<T>(1, d.n * kernels::kGatv2NodeTerms * d.H);
  }
  if (recomputes) d.bias = values<T>(d.W, c.seed, "bias");  // added in the kernel
  d.drop = KeyedDropout<T>{T(c.dropout), c.seed * 7919 + 3};
  if (c.kernel == "scaled_aggregate") {
    d.scales = kernels::gcn_scales<T>(d.graph);
    d.bias = values<T>(d.W, c.seed, "bias");
  }
}

template <class T>
KernelProblem<T>::~KernelProblem() = default;

template <class T>
const Graph& KernelProblem<T>::graph() const {
  return data_->graph;
}
template <class T>
const KernelCase& KernelProblem<T>::spec() const {
  return data_->c;
}

template <class T>
void KernelProblem<T>::forward() {
  Data& d = *data_;
  const std::string& k = d.c.kernel;
  const T slope = T(kSlope);
  if (k == "gat_attention") {
    kernels::gat_attention_forward<T>(d.graph, d.shape, d.input("z"), d.input("s_src"),
                                      d.input("s_dst"), slope, d.drop, d.out.values(),
                                      {d.node_terms.values(), d.positive_out.values()},
                                      d.bias.values(), d.alpha.values());
  } else if (k == "gat_edge_attention") {
    kernels::gat_edge_attention_forward<T>(d.graph, d.shape, d.input("z"), d.input("s_src"),
                                           d.input("s_dst"), d.input("s_edge"), slope, d.drop,
                                           d.alpha.values(), d.out.values());
  } else if (k == "gatv2_attention" || k == "gatv2_edge_attention") {
    kernels::gatv2_attention_forward<T>(d.graph, d.shape, d.input("x_src"), d.input("x_dst"),
                                        d.input("att"), slope, d.drop, d.out.values(),
                                        d.node_terms.values(), d.bias.values(), d.alpha.values(),
                                        d.input("x_edge"));
  } else if (k == "dot_product_attention") {
    kernels::dot_product_attention_forward<T>(d.graph, d.shape, d.input("q"), d.input("k"),
                                              d.input("v"), d.drop, d.alpha.values(),
                                              d.out.values());
  } else {
    kernels::scaled_aggregate<T>(d.graph, d.scales, d.input("z"), int(d.W), d.out.values(),
                                 d.bias.values());
  }
}

template <class T>
void KernelProblem<T>::backward() {
  Data& d = *data_;
  const std::string& k = d.c.kernel;
  const T slope = T(kSlope);
  if (k == "gat_attention") {
    // The backward overwrites the state's A with c_i: run again (as the
    // bench does to time it) it costs the same but grad_s_dst changes.
    kernels::gat_attention_backward<T>(
        d.graph, d.shape, d.input("z"), d.input("s_src"), slope, d.drop, d.out.values(),
        d.bias.values(), d.node_terms.values(), d.positive_out.values(), d.grad_out.values(),
        d.gradient("z"), d.gradient("s_src"), d.gradient("s_dst"));
  } else if (k == "gat_edge_attention") {
    kernels::gat_edge_attention_backward<T>(
        d.graph, d.shape, d.input("z"), d.input("s_src"), d.input("s_dst"), d.input("s_edge"),
        slope, d.drop, d.alpha.values(), d.out.values(), d.grad_out.values(), d.gradient("z"),
        d.gradient("s_src"), d.gradient("s_dst"), d.gradient("s_edge"));
  } else if (k == "gatv2_attention" || k == "gatv2_edge_attention") {
    kernels::gatv2_attention_backward<T>(
        d.graph, d.shape, d.input("x_src"), d.input("x_dst"), d.input("att"), slope, d.drop,
        d.out.values(), d.bias.values(), d.node_terms.values(), d.grad_out.values(),
        d.gradient("x_src"), d.gradient("x_dst"), d.gradient("att"), d.input("x_edge"),
        d.gradient("x_edge"));
  } else if (k == "dot_product_attention") {
    kernels::dot_product_attention_backward<T>(
        d.graph, d.shape, d.input("q"), d.input("k"), d.input("v"), d.drop, d.alpha.values(),
        d.out.values(), d.grad_out.values(), d.gradient("q"), d.gradient("k"), d.gradient("v"));
  } else {
    kernels::scaled_aggregate_transpose<T>(d.graph, d.scales, d.grad_out.values(), int(d.W),
                                           d.gradient("z"));
  }
}

template <class T>
NamedResults KernelProblem<T>::results() const {
  const Data& d = *data_;
  auto widen = [](const Tensor<T>& v) {
    return std::vector<double>(v.values().begin(), v.values().end());
  };
  NamedResults r;
  if (!d.alpha.empty()) r.emplace_back("alpha", widen(d.alpha));
  r.emplace_back("out", widen(d.out));
  for (const auto& [name, g] : d.grad) r.emplace_back("grad_" + name, widen(g));
  return r;
}

// Bytes each pass must move at least: index arrays, each gathered
// neighbour row once, each output once.
template <class T>
double KernelProblem<T>::forward_bytes() const {
  const Data& d = *data_;
  const double n = double(d.n), e = double(d.e), h = double(d.H), w = double(d.W);
  const double f = sizeof(T), idx = sizeof(NodeId), ptr = sizeof(EdgeId);
  const std::string& k = d.c.kernel;
  if (k == "gat_attention") {
    // per node s_dst_i, out_i and the backward's state (P_i and 4H terms)
    // when it is kept; per edge s_src_j and z_j, and alpha when it is read.
    const double state = d.node_terms.empty() ? 0 : n * (w * f + 4 * h * f);
    const double alpha = d.alpha.empty() ? 0 : e * h * f;
    return n * (ptr + h * f + w * f) + state + e * (idx + h * f + w * f) + alpha;
  }
  if (k == "gat_edge_attention") {
    return n * (ptr + h * f + w * f) + e * (idx + 3 * h * f + w * f);
  }
  if (k == "gatv2_attention" || k == "gatv2_edge_attention") {
    // per node x_dst_i, out_i and the two node terms; per edge x_src_j (read
    // once: the aggregation walk finds it in cache), x_edge_e with edge
    // features, and alpha when it is read
    const double edge_terms = k == "gatv2_edge_attention" ? e * w * f : 0;
    const double alpha = d.alpha.empty() ? 0 : e * h * f;
    return n * (ptr + 2 * w * f + 2 * h * f) + e * (idx + w * f) + edge_terms + alpha;
  }
  if (k == "dot_product_attention") {
    // per node q_i and out_i; per edge k_j, v_j and alpha
    return n * (ptr + 2 * w * f) + e * (idx + 2 * w * f + h * f);
  }
  // scaled_aggregate: per node its two scales and its output row, per edge
  // the index and the gathered row.
  return n * (ptr + 2 * f + w * f) + e * (idx + w * f);
}

template <class T>
double KernelProblem<T>::backward_bytes() const {
  const Data& d = *data_;
  const double n = double(d.n), e = double(d.e), h = double(d.H), w = double(d.W);
  const double f = sizeof(T), idx = sizeof(NodeId), ptr = sizeof(EdgeId);
  const std::string& k = d.c.kernel;
  if (k == "gat_attention") {
    // Node pass: g_i, out_i, P_i and the terms row read, c_i written,
    // grad_s_dst updated; by source: own z_j, s_src_j, grad_z and grad_s_src
    // rows, and per edge g_i and i's terms (and the edge id with dropout).
    const double ids = d.drop.active() ? e * ptr : 0;
    return n * (3 * w * f + 5 * h * f + 2 * h * f) + n * (ptr + 3 * w * f + 3 * h * f) +
           e * (idx + w * f + 4 * h * f) + ids;
  }
  if (k == "gat_edge_attention") {
    // <g_i, out_i> per node; by source: own z_j, grad_z, s_src rows, and per
    // edge grad_out_i, alpha, s_dst_i, row_dot_i, the score gradient; by
    // destination: the score gradients again.
    return n * (2 * w * f + h * f) + n * (ptr + 3 * w * f + 3 * h * f) +
           e * (idx + ptr + w * f + 4 * h * f) + n * (ptr + 2 * h * f) + e * h * f;
  }
  if (k == "gatv2_attention" || k == "gatv2_edge_attention") {
    // Node pass: g_i and out_i read, c_i written. By source: own x_src_j and
    // gradient rows, per edge g_i, x_dst_i, i's terms (and the edge id and
    // x_edge_e when they are read); by destination: own x_dst_i, g_i, terms
    // and gradient rows, per edge x_src_j (and x_edge_e and its gradient).
    const bool edges = k == "gatv2_edge_attention";
    const double ids = edges || d.drop.active() ? e * ptr : 0;
    const double edge_rows = edges ? e * w * f + e * 3 * w * f : 0;
    return n * (2 * w * f + h * f) + n * (ptr + 3 * w * f) + e * (idx + 2 * w * f + 3 * h * f) +
           ids + n * (ptr + 4 * w * f + 3 * h * f) + e * (idx + w * f) + edge_rows;
  }
  if (k == "dot_product_attention") {
    return n * (2 * w * f + h * f) + n * (ptr + 4 * w * f) +
           e * (idx + ptr + 2 * w * f + 3 * h * f) + n * (ptr + 2 * w * f) +
           e * (idx + w * f + h * f);
  }
  // scaled_aggregate's transpose: the out-CSR's indices are destinations, so
  // no edge ids; per node the scales and the gradient row read and written.
  return n * (ptr + 2 * f + 2 * w * f) + e * (idx + w * f);
}

double normalised_error(const std::vector<double>& want, const std::vector<double>& got) {
  if (want.size() != got.size()) return std::numeric_limits<double>::infinity();
  double err = 0, energy = 0;
  for (std::size_t k = 0; k < want.size(); ++k) {
    err += (got[k] - want[k]) * (got[k] - want[k]);
    energy += want[k] * want[k];
  }
  if (energy == 0) return err == 0 ? 0 : std::numeric_limits<double>::infinity();
  return err / energy;
}

// The reference: for each destination i and head h, the raw scores of its
// in-edges, their softmax, the weighted sum, and the backward pass in its
// textbook form
//   d alpha_e = drop_e <g_i, v_j>,  ds_e = alpha_e (d alpha_e - sum_e' alpha_e' d alpha_e'),
// with the score's own rule for where ds_e goes. Plain loops, in double.
template <class T>
NamedResults reference(const KernelProblem<T>& problem) {
  const auto& d = problem.data();
  const std::string& k = d.c.kernel;
  const std::size_t n = d.n, H = d.H, W = d.W, F = std::size_t(d.c.channels);
  auto get = [&](const std::string& name) {
    const std::span<const T> s = d.input(name);
    return std::vector<double>(s.begin(), s.end());
  };
  std::map<std::string, std::vector<double>> in;
  for (const auto& [name, v] : d.in) in[name] = get(name);
  std::map<std::string, std::vector<double>> grad;
  for (const auto& [name, v] : d.in) grad[name] = std::vector<double>(v.size(), 1.0);
  const std::vector<double> g(d.grad_out.values().begin(), d.grad_out.values().end());
  std::vector<double> alpha(d.e * H, 0.0), out(n * W, 0.0);
  if (!d.bias.empty()) {  // GAT and GATv2 add their bias in the kernel
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < W; ++c) out[i * W + c] = double(d.bias.values()[c]);
    }
  }
  const Csr& csr = d.graph.in();
  auto leaky = [](double x) { return x > 0 ? x : kSlope * x; };
  auto leaky_prime = [](double x) { return x > 0 ? 1.0 : kSlope; };

  if (k == "scaled_aggregate") {
    // GCN's normalisation from its definition, 1 / sqrt(deg_i deg_j) per
    // edge, and the bias on every row.
    auto degree = [&](std::size_t v) { return double(csr.indptr[v + 1] - csr.indptr[v]); };
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < W; ++c) out[i * W + c] = double(d.bias.values()[c]);
      for (EdgeId e = csr.indptr[i]; e < csr.indptr[i + 1]; ++e) {
        const std::size_t j = std::size_t(csr.indices[std::size_t(e)]);
        const double w = 1 / std::sqrt(degree(i) * degree(j));
        for (std::size_t c = 0; c < W; ++c) {
          out[i * W + c] += w * in["z"][j * W + c];
          grad["z"][j * W + c] += w * g[i * W + c];
        }
      }
    }
    NamedResults r{{"out", out}};
    for (auto& [name, v] : grad) r.emplace_back("grad_" + name, v);
    return r;
  }

  // What is aggregated, and the raw score of edge e = (j -> i) for head h.
  const std::string value = k == "dot_product_attention" ? "v"
                            : k.rfind("gatv2", 0) == 0   ? "x_src"
                                                         : "z";
  const bool edge_terms = k == "gatv2_edge_attention";
  auto gatv2_argument = [&](std::size_t i, std::size_t j, std::size_t e, std::size_t h,
                            std::size_t f) {
    double m = in["x_dst"][i * W + h * F + f] + in["x_src"][j * W + h * F + f];
    if (edge_terms) m += in["x_edge"][e * W + h * F + f];
    return m;
  };
  const double scale = 1 / std::sqrt(double(F));
  auto raw = [&](std::size_t i, std::size_t j, std::size_t e, std::size_t h) {
    if (k == "gat_attention") return in["s_dst"][i * H + h] + in["s_src"][j * H + h];
    if (k == "gat_edge_attention") {
      return in["s_dst"][i * H + h] + in["s_src"][j * H + h] + in["s_edge"][e * H + h];
    }
    if (k == "dot_product_attention") {
      double s = 0;
      for (std::size_t f = 0; f < F; ++f)
        s += in["q"][i * W + h * F + f] * in["k"][j * W + h * F + f];
      return s * scale;
    }
    double s = 0;
    for (std::size_t f = 0; f < F; ++f)
      s += in["att"][h * F + f] * leaky(gatv2_argument(i, j, e, h, f));
    return s;
  };
  const bool leaky_score = k == "gat_attention" || k == "gat_edge_attention";
  // Where ds (the gradient of the score after its activation) goes.
  auto distribute = [&](std::size_t i, std::size_t j, std::size_t e, std::size_t h, double r,
                        double ds) {
    if (leaky_score) {
      const double dr = ds * leaky_prime(r);
      grad["s_dst"][i * H + h] += dr;
      grad["s_src"][j * H + h] += dr;
      if (k == "gat_edge_attention") grad["s_edge"][e * H + h] += dr;
    } else if (k == "dot_product_attention") {
      for (std::size_t f = 0; f < F; ++f) {
        grad["q"][i * W + h * F + f] += ds * scale * in["k"][j * W + h * F + f];
        grad["k"][j * W + h * F + f] += ds * scale * in["q"][i * W + h * F + f];
      }
    } else {
      for (std::size_t f = 0; f < F; ++f) {
        const double m = gatv2_argument(i, j, e, h, f);
        const double through = ds * in["att"][h * F + f] * leaky_prime(m);
        grad["x_dst"][i * W + h * F + f] += through;
        grad["x_src"][j * W + h * F + f] += through;
        if (edge_terms) grad["x_edge"][e * W + h * F + f] += through;
        grad["att"][h * F + f] += ds * leaky(m);
      }
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    const EdgeId begin = csr.indptr[i], end = csr.indptr[i + 1];
    for (std::size_t h = 0; h < H; ++h) {
      std::vector<double> r(std::size_t(end - begin)), a(r.size()), da(r.size());
      double m = -std::numeric_limits<double>::infinity();
      for (EdgeId e = begin; e < end; ++e) {
        const std::size_t j = std::size_t(csr.indices[std::size_t(e)]);
        const double pre = raw(i, j, std::size_t(e), h);
        r[std::size_t(e - begin)] = pre;
        const double s = leaky_score ? leaky(pre) : pre;
        a[std::size_t(e - begin)] = s;
        m = std::max(m, s);
      }
      double total = 0;
      for (double& v : a) total += (v = std::exp(v - m));
      double weighted = 0;
      for (EdgeId e = begin; e < end; ++e) {
        const std::size_t j = std::size_t(csr.indices[std::size_t(e)]), p = std::size_t(e - begin);
        a[p] /= total;
        alpha[std::size_t(e) * H + h] = a[p];
        const double drop = double(d.drop.scale(std::uint64_t(std::size_t(e) * H + h)));
        double dot = 0;
        for (std::size_t f = 0; f < F; ++f) {
          out[i * W + h * F + f] += a[p] * drop * in[value][j * W + h * F + f];
          dot += g[i * W + h * F + f] * in[value][j * W + h * F + f];
          grad[value][j * W + h * F + f] += a[p] * drop * g[i * W + h * F + f];
        }
        da[p] = drop * dot;
        weighted += a[p] * da[p];
      }
      for (EdgeId e = begin; e < end; ++e) {
        const std::size_t p = std::size_t(e - begin);
        distribute(i, std::size_t(csr.indices[std::size_t(e)]), std::size_t(e), h, r[p],
                   a[p] * (da[p] - weighted));
      }
    }
  }
  NamedResults result;
  if (!d.alpha.empty()) result.emplace_back("alpha", alpha);
  result.emplace_back("out", out);
  for (auto& [name, v] : grad) result.emplace_back("grad_" + name, v);
  return result;
}

template class KernelProblem<float>;
template class KernelProblem<double>;
template NamedResults reference(const KernelProblem<float>&);
template NamedResults reference(const KernelProblem<double>&);

}  // namespace heed::bench
