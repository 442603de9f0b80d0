#include "heed/studies/wl_study.hpp"

#include <cmath>
#include <utility>

#include "heed/graph/wl_refinement.hpp"
#include "heed/nn/model.hpp"

namespace heed::studies {
namespace {

Graph undirected(std::int64_t n, const std::vector<std::pair<int, int>>& edges) {
  EdgeList e;
  for (auto [a, b] : edges) {
    e.add(a, b);
    e.add(b, a);
  }
  return Graph(n, e);
}

std::vector<std::pair<int, int>> ring(int n) {
  std::vector<std::pair<int, int>> edges;
  for (int k = 0; k < n; ++k) edges.emplace_back(k, (k + 1) % n);
  return edges;
}

nn::ModelSpec study_spec(const std::string& model) {
  nn::ModelSpec s;
  s.model = model;
  if (model == kTransformer || model == kTransformerLpe) {
    s.model = "transformer";
    s.attention = nn::AttentionMode::kDense;
    s.laplacian_k = model == kTransformerLpe ? kWlLaplacianK : 0;
  }
  s.in_channels = 3;
  s.out_channels = 4;
  s.hidden_channels = 16;
  s.heads = 2;
  s.layers = 3;
  s.readout = nn::Readout::kSum;
  s.dropout = 0;
  s.attention_dropout = 0;
  return s;
}

// The graph's embedding: the model's one output row, every node's features
// the same row (signs mixed so that some ReLUs live).
Tensor<double> embed(nn::Model<double>& model, const nn::ModelSpec& spec, const Graph& g) {
  const Graph input = nn::model_input_graph(spec, g);
  Tensor<double> x(std::size_t(g.num_nodes()), 3);
  for (std::size_t i = 0; i < x.rows(); ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = -0.5;
    x(i, 2) = 0.25;
  }
  const nn::NodeFeatures<double> features(x);
  const std::vector<std::int64_t> offsets{0, g.num_nodes()};
  Tape<double> tape(Tape<double>::Gradients::kOff);
  return model.forward(tape, {&input, &features, nullptr, offsets}, nn::ForwardContext{false, 0})
      .value();
}

}  // namespace

std::vector<WlPair> wl_pairs() {
  std::vector<WlPair> pairs;
  pairs.push_back({"6-cycle / two triangles", undirected(6, ring(6)),
                   undirected(6, {{0, 1}, {1, 2}, {2, 0}, {3, 4}, {4, 5}, {5, 3}})});
  // Decalin: two 6-rings sharing the bond 0-5; bicyclopentyl: two 5-rings
  // joined by the bond 0-5. 10 atoms, 11 bonds, two atoms of degree 3.
  pairs.push_back({"decalin / bicyclopentyl",
                   undirected(10, {{0, 1},
                                   {1, 2},
                                   {2, 3},
                                   {3, 4},
                                   {4, 5},
                                   {5, 0},
                                   {5, 6},
                                   {6, 7},
                                   {7, 8},
                                   {8, 9},
                                   {9, 0}}),
                   undirected(10, {{0, 1},
                                   {1, 2},
                                   {2, 3},
                                   {3, 4},
                                   {4, 0},
                                   {5, 6},
                                   {6, 7},
                                   {7, 8},
                                   {8, 9},
                                   {9, 5},
                                   {0, 5}})});
  // The cube (bipartite) and the Wagner graph (an 8-cycle with its four long
  // diagonals, which has 5-cycles): both 3-regular on 8 nodes.
  std::vector<std::pair<int, int>> cube, wagner = ring(8);
  for (int v = 0; v < 8; ++v) {
    for (int bit = 1; bit < 8; bit <<= 1) {
      if (v < (v ^ bit)) cube.emplace_back(v, v ^ bit);
    }
  }
  for (int k = 0; k < 4; ++k) wagner.emplace_back(k, k + 4);
  pairs.push_back({"cube / Wagner graph", undirected(8, cube), undirected(8, wagner)});
  pairs.push_back({"6-cycle / tadpole", undirected(6, ring(6)),
                   undirected(6, {{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 5}})});
  pairs.push_back({"path / star (4 nodes)", undirected(4, {{0, 1}, {1, 2}, {2, 3}}),
                   undirected(4, {{0, 1}, {0, 2}, {0, 3}})});
  return pairs;
}

std::vector<WlRow> run_wl_study(const std::vector<std::string>& models, int seeds) {
  const std::vector<WlPair> pairs = wl_pairs();
  std::vector<WlRow> rows;
  for (const WlPair& p : pairs) rows.push_back({p.name, wl_indistinguishable(p.a, p.b), {}});
  for (const std::string& name : models) {
    const nn::ModelSpec spec = study_spec(name);
    for (int seed = 0; seed < seeds; ++seed) {
      Rng rng{std::uint64_t(seed)};
      auto model = nn::make_model<double>(spec, rng);
      for (std::size_t r = 0; r < pairs.size(); ++r) {
        const Tensor<double> a = embed(*model, spec, pairs[r].a);
        const Tensor<double> b = embed(*model, spec, pairs[r].b);
        double& d = rows[r].largest_difference[name];
        for (std::size_t k = 0; k < a.size(); ++k) {
          d = std::max(d, std::abs(a.data()[k] - b.data()[k]));
        }
      }
    }
  }
  return rows;
}

}  // namespace heed::studies
