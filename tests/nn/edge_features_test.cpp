// GATConv and GATv2Conv with edge features (edge_dim) against a dense
// implementation written from the formulas with plain loops in double:
//   GAT:   e_ij = LeakyReLU(a_dst.z_i + a_src.z_j + a_edge.(W_e x_ij))
//   GATv2: e_ij = a . LeakyReLU(W_d x_i + W_s x_j + W_e x_ij)
// on a graph without self loops, so the layer adds them and gives each the
// mean of its node's in-edge features. Gradients of every input and
// parameter against central differences of the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "heed/error.hpp"
#include "heed/nn/gat_conv.hpp"
#include "heed/nn/gatv2_conv.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

constexpr int kNodes = 5, kIn = 3, kHeads = 2, kOut = 2, kEdgeDim = 3, kWidth = kHeads * kOut;
const std::vector<std::pair<int, int>> kEdges{{0, 1}, {1, 0}, {1, 2}, {2, 3},
                                              {3, 1}, {4, 0}, {0, 4}, {3, 4}};
constexpr double kSlope = 0.2;

using Inputs = std::map<std::string, Tensor<double>>;

double leaky(double v) {
  return v > 0 ? v : kSlope * v;
}

// Edge features by (src, dst), self loops as the mean over the node's in-edges.
// The graph's edge ids follow its in-CSR; `edge_row` maps (src, dst) to them.
Tensor<double> dense_layer(const Inputs& p, bool v2, const Graph& graph) {
  const Tensor<double>& x = p.at("x");
  const Tensor<double>& ea = p.at("edge_attr");
  double feat[kNodes][kNodes][kEdgeDim] = {};  // feat[dst][src]
  bool adj[kNodes][kNodes] = {};
  const std::vector<NodeId> dst = graph.edge_dst();
  for (std::size_t e = 0; e < dst.size(); ++e) {
    const int s = graph.edge_src()[e], d = dst[e];
    adj[d][s] = true;
    for (int k = 0; k < kEdgeDim; ++k) feat[d][s][k] = ea(e, std::size_t(k));
  }
  for (int i = 0; i < kNodes; ++i) {
    int count = 0;
    for (int j = 0; j < kNodes; ++j) count += adj[i][j] && j != i;
    for (int k = 0; k < kEdgeDim; ++k) {
      double s = 0;
      for (int j = 0; j < kNodes; ++j) s += adj[i][j] && j != i ? feat[i][j][k] : 0;
      feat[i][i][k] = count ? s / count : 0;
    }
    adj[i][i] = true;
  }
  auto project = [&](const Tensor<double>& w, int n, auto row) {
    std::vector<double> out(kWidth);
    for (int c = 0; c < kWidth; ++c)
      for (int k = 0; k < n; ++k) out[std::size_t(c)] += row(k) * w(std::size_t(k), std::size_t(c));
    return out;
  };
  Tensor<double> out(kNodes, kWidth);
  for (int i = 0; i < kNodes; ++i) {
    for (int h = 0; h < kHeads; ++h) {
      double score[kNodes] = {}, total = 0, m = -1e300;
      for (int j = 0; j < kNodes; ++j) {
        if (!adj[i][j]) continue;
        const auto we =
            project(p.at("weight_edge"), kEdgeDim, [&](int k) { return feat[i][j][k]; });
        double s = 0;
        if (v2) {
          const auto xs = project(p.at("weight_src"), kIn, [&](int k) { return x(j, k); });
          const auto xd = project(p.at("weight_dst"), kIn, [&](int k) { return x(i, k); });
          for (int f = 0; f < kOut; ++f) {
            const std::size_t c = std::size_t(h * kOut + f);
            s += p.at("att")(0, c) * leaky(xd[c] + xs[c] + we[c]);
          }
        } else {
          const auto zj = project(p.at("weight"), kIn, [&](int k) { return x(j, k); });
          const auto zi = project(p.at("weight"), kIn, [&](int k) { return x(i, k); });
          for (int f = 0; f < kOut; ++f) {
            const std::size_t c = std::size_t(h * kOut + f);
            s += p.at("att_dst")(0, c) * zi[c] + p.at("att_src")(0, c) * zj[c] +
                 p.at("att_edge")(0, c) * we[c];
          }
          s = leaky(s);
        }
        score[j] = s;
        m = std::max(m, s);
      }
      for (int j = 0; j < kNodes; ++j) {
        if (adj[i][j]) total += std::exp(score[j] - m);
      }
      for (int j = 0; j < kNodes; ++j) {
        if (!adj[i][j]) continue;
        const double a = std::exp(score[j] - m) / total;
        const auto v =
            project(p.at(v2 ? "weight_src" : "weight"), kIn, [&](int k) { return x(j, k); });
        for (int f = 0; f < kOut; ++f) out(i, h * kOut + f) += a * v[std::size_t(h * kOut + f)];
      }
    }
    for (int c = 0; c < kWidth; ++c) out(i, c) += p.at("bias")(0, c);
  }
  return out;
}

template <class Conv, class Options>
void compare(bool v2) {
  using testing::random_tensor;
  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  const Graph graph(kNodes, edges);
  Options o;
  o.in_channels = kIn;
  o.out_channels = kOut;
  o.heads = kHeads;
  o.edge_dim = kEdgeDim;
  o.dropout = 0.5;  // must not act outside training
  Rng rng(3);
  Conv conv(o, rng);
  Inputs p;
  p["x"] = random_tensor(kNodes, kIn, 1);
  p["edge_attr"] = random_tensor(std::size_t(graph.num_edges()), kEdgeDim, 2);
  unsigned seed = 10;
  std::vector<Parameter<double>*> params = conv.parameters();
  for (Parameter<double>* q : params) {
    q->value = random_tensor(q->value.rows(), q->value.cols(), seed++);
    p[q->name] = q->value;
  }
  ASSERT_EQ(p.count("weight_edge"), 1u);

  Tape<double> tape;
  Var<double> x = tape.variable(p["x"]);
  Var<double> ea = tape.variable(p["edge_attr"]);
  Var<double> out = conv.forward(x, graph, ea, nn::ForwardContext{false, 0});
  const Tensor<double> expected = dense_layer(p, v2, graph);
  ASSERT_TRUE(out.value().same_shape(expected));
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_NEAR(out.value().data()[k], expected.data()[k], 1e-12) << "output " << k;
  }
  const Tensor<double> r = random_tensor(kNodes, kWidth, 99);
  tape.backward(out, r);
  auto objective = [&](const Inputs& q) {
    const Tensor<double> y = dense_layer(q, v2, graph);
    double s = 0;
    for (std::size_t k = 0; k < y.size(); ++k) s += r.data()[k] * y.data()[k];
    return s;
  };
  std::map<std::string, const Tensor<double>*> grads{{"x", &tape.grad(x.id())},
                                                     {"edge_attr", &tape.grad(ea.id())}};
  for (Parameter<double>* q : params) grads[q->name] = &q->grad;
  for (const auto& [name, grad] : grads) {
    for (std::size_t k = 0; k < grad->size(); ++k) {
      Inputs up = p, down = p;
      up[name].data()[k] += 1e-6;
      down[name].data()[k] -= 1e-6;
      EXPECT_NEAR(grad->data()[k], (objective(up) - objective(down)) / 2e-6, 1e-6)
          << name << "[" << k << "]";
    }
  }
}

TEST(EdgeFeatures, GatConvMatchesTheDenseFormula) {
  compare<nn::GATConv<double>, nn::GATConvOptions>(false);
}
TEST(EdgeFeatures, Gatv2ConvMatchesTheDenseFormula) {
  compare<nn::GATv2Conv<double>, nn::GATv2ConvOptions>(true);
}

TEST(EdgeFeatures, MissingOrMisshapenFeaturesAreNamed) {
  EdgeList edges;
  for (auto [s, d] : kEdges) edges.add(s, d);
  const Graph graph(kNodes, edges);
  nn::GATConvOptions o;
  o.in_channels = kIn;
  o.out_channels = kOut;
  o.edge_dim = kEdgeDim;
  Rng rng(0);
  nn::GATConv<double> conv(o, rng);
  Tape<double> tape;
  Var<double> x = tape.constant(testing::random_tensor(kNodes, kIn, 1));
  try {
    conv.forward(x, graph, nn::ForwardContext{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "GATConv: edge_dim is 3, so pass edge features");
  }
  Var<double> wrong = tape.constant(Tensor<double>(3, kEdgeDim));
  try {
    conv.forward(x, graph, wrong, nn::ForwardContext{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "GATConv: edge features are 3 x 3, the graph has 8 edges and edge_dim is 3");
  }
}

}  // namespace
}  // namespace heed
