// Numerical safety of every attention kernel (issue #6): scores of +-1e4
// keep the softmax finite and normalised, in float as well as double, and
// forward and backward stay finite; a node without in-edges gets a defined
// output of zeros.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "heed/kernels/gat_attention.hpp"
#include "heed/kernels/gat_edge_attention.hpp"
#include "heed/kernels/gatv2_attention.hpp"
#include "support/random_inputs.hpp"

namespace heed::kernels {
namespace {

// 12 nodes, node 11 without in-edges.
Graph graph_with_a_sourceless_node() {
  EdgeList e;
  for (int i = 0; i < 11; ++i) {
    for (int k = 1; k <= 3; ++k) e.add(NodeId((i + k) % 11), NodeId(i));
    e.add(NodeId(i), NodeId(i));
  }
  e.add(11, 0);
  return Graph(12, e);
}

template <class T>
std::vector<T> extreme(std::size_t n, unsigned seed) {
  // Alternating +-1e4 with a little spread, so the maxima differ by far more
  // than exp's range.
  std::vector<T> v(n);
  for (std::size_t k = 0; k < n; ++k) {
    v[k] = T((k + seed) % 2 == 0 ? 1e4 : -1e4) * T(1 + 0.01 * double((k * 7 + seed) % 13));
  }
  return v;
}

template <class T>
void expect_normalised(const Graph& g, const std::vector<T>& alpha, int heads, double tol) {
  for (std::int64_t i = 0; i < g.num_nodes(); ++i) {
    for (int h = 0; h < heads; ++h) {
      double sum = 0;
      for (EdgeId e = g.in().indptr[std::size_t(i)]; e < g.in().indptr[std::size_t(i) + 1]; ++e) {
        ASSERT_TRUE(std::isfinite(alpha[std::size_t(e * heads + h)]));
        sum += alpha[std::size_t(e * heads + h)];
      }
      if (g.in().neighbours(i).empty()) continue;
      EXPECT_NEAR(sum, 1.0, tol) << "node " << i << " head " << h;
    }
  }
}

template <class T>
void expect_finite(const std::vector<T>& v, const char* what) {
  for (T x : v) ASSERT_TRUE(std::isfinite(x)) << what;
}

template <class T>
void check_all_kernels(double tol) {
  const Graph g = graph_with_a_sourceless_node();
  const HeadShape shape{2, 4};
  const std::size_t n = 12, w = 8, h = 2, e = std::size_t(g.num_edges());
  const std::vector<T> z = extreme<T>(n * w, 1), s_src = extreme<T>(n * h, 2),
                       s_dst = extreme<T>(n * h, 3), s_edge = extreme<T>(e * h, 4),
                       att = extreme<T>(w, 5), x_edge = extreme<T>(e * w, 6);
  const std::vector<T> g_out = extreme<T>(n * w, 7);
  const T slope = T(0.2);
  {
    std::vector<T> alpha(e * h), out(n * w), gz(n * w), gs(n * h), gd(n * h);
    std::vector<T> terms(n * kGatNodeTerms * h), positive(n * w);
    const GatState<T> state{terms, positive};
    gat_attention_forward<T>(g, shape, z, s_src, s_dst, slope, {}, out, state, {}, alpha);
    expect_normalised(g, alpha, 2, tol);
    expect_finite(out, "gat out");
    for (std::size_t c = 0; c < w; ++c) EXPECT_EQ(out[11 * w + c], T(0));  // no in-edges
    gat_attention_backward<T>(g, shape, z, s_src, slope, {}, out, {}, terms, positive, g_out, gz,
                              gs, gd);
    expect_finite(gz, "gat grad_z");
    expect_finite(gs, "gat grad_s_src");
    expect_finite(gd, "gat grad_s_dst");
  }
  {
    std::vector<T> alpha(e * h), out(n * w), gz(n * w), gs(n * h), gd(n * h), ge(e * h);
    gat_edge_attention_forward<T>(g, shape, z, s_src, s_dst, s_edge, slope, {}, alpha, out);
    expect_normalised(g, alpha, 2, tol);
    expect_finite(out, "gat edge out");
    gat_edge_attention_backward<T>(g, shape, z, s_src, s_dst, s_edge, slope, {}, alpha, out, g_out,
                                   gz, gs, gd, ge);
    expect_finite(gz, "gat edge grad_z");
    expect_finite(ge, "gat edge grad_s_edge");
  }
  {
    std::vector<T> alpha(e * h), out(n * w), gs(n * w), gd(n * w), ga(w), gxe(e * w);
    std::vector<T> terms(n * kGatv2NodeTerms * h);
    gatv2_attention_forward<T>(g, shape, z, z, att, slope, {}, out, terms, {}, alpha, x_edge);
    expect_normalised(g, alpha, 2, tol);
    expect_finite(out, "gatv2 out");
    for (std::size_t c = 0; c < w; ++c) EXPECT_EQ(out[11 * w + c], T(0));
    gatv2_attention_backward<T>(g, shape, z, z, att, slope, {}, out, {}, terms, g_out, gs, gd, ga,
                                x_edge, gxe);
    expect_finite(gs, "gatv2 grad_x_src");
    expect_finite(gd, "gatv2 grad_x_dst");
    expect_finite(gxe, "gatv2 grad_x_edge");
  }
}

TEST(NumericalSafety, ScoresOfTenThousandStayFiniteInDouble) {
  check_all_kernels<double>(1e-12);
}
TEST(NumericalSafety, ScoresOfTenThousandStayFiniteInFloat) {
  check_all_kernels<float>(1e-5);
}

}  // namespace
}  // namespace heed::kernels
