// The graph transformer (issue #5): one set of parameters run as sparse graph
// attention, as dense attention masked by the adjacency, and (on the complete
// graph) as a plain transformer gives the same outputs; gradients through a
// whole block match central differences; and weights trained through the
// dense masked path predict the same classes on every node of Cora when run
// on the sparse path.
#include "heed/nn/graph_transformer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "heed/data/dataset.hpp"
#include "heed/error.hpp"
#include "heed/train/trainer.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

Graph looped(const std::vector<std::pair<int, int>>& edges, int n) {
  EdgeList e;
  for (auto [s, d] : edges) e.add(NodeId(s), NodeId(d));
  return Graph(n, e, GraphOptions{.add_self_loops = true});
}

// A transformer of width heads x hidden_channels = 6.
nn::ModelSpec small(nn::AttentionMode mode) {
  nn::ModelSpec o;
  o.model = nn::kTransformerModel;
  o.in_channels = 5;
  o.out_channels = 3;
  o.hidden_channels = 3;
  o.heads = 2;
  o.ffn_hidden = 7;
  o.layers = 2;
  o.dropout = 0.5;
  o.attention_dropout = 0.1;
  o.attention = mode;
  return o;
}

Tensor<double> run(nn::GraphTransformer<double>& model, const Tensor<double>& x, const Graph& g) {
  Tape<double> tape;
  return model.forward(tape, x, g, nn::ForwardContext{false, 0}).value();
}

TEST(GraphTransformer, SparseAndMaskedDensePathsAgree) {
  const Graph g = looped({{0, 1}, {1, 2}, {2, 0}, {3, 1}, {4, 3}, {1, 4}, {5, 0}}, 6);
  Rng rng(3);
  nn::GraphTransformer<double> model(small(nn::AttentionMode::kGraph), rng);
  const Tensor<double> x = testing::random_tensor(6, 5, 1);
  const Tensor<double> sparse = run(model, x, g);
  model.set_attention(nn::AttentionMode::kDenseMasked);
  const Tensor<double> dense = run(model, x, g);
  for (std::size_t k = 0; k < sparse.size(); ++k)
    EXPECT_NEAR(sparse.data()[k], dense.data()[k], 1e-10);
  // Without the mask the answer changes: the graph matters.
  model.set_attention(nn::AttentionMode::kDense);
  const Tensor<double> unmasked = run(model, x, g);
  double diff = 0;
  for (std::size_t k = 0; k < sparse.size(); ++k)
    diff += std::abs(sparse.data()[k] - unmasked.data()[k]);
  EXPECT_GT(diff, 1e-3);
}

TEST(GraphTransformer, OnTheCompleteGraphTheSparsePathIsAPlainTransformer) {
  std::vector<std::pair<int, int>> all;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j)
      if (i != j) all.emplace_back(j, i);
  const Graph g = looped(all, 5);
  Rng rng(4);
  nn::GraphTransformer<double> model(small(nn::AttentionMode::kDense), rng);
  const Tensor<double> x = testing::random_tensor(5, 5, 2);
  const Tensor<double> dense = run(model, x, g);
  model.set_attention(nn::AttentionMode::kGraph);
  const Tensor<double> sparse = run(model, x, g);
  for (std::size_t k = 0; k < dense.size(); ++k)
    EXPECT_NEAR(sparse.data()[k], dense.data()[k], 1e-10);
  EXPECT_THROW(model.set_attention(nn::AttentionMode::kGraphAndDense), Error);
}

// Central differences through the whole model for every parameter entry.
void check_gradients(nn::AttentionMode mode, int laplacian_k = 0, bool norm_first = false) {
  const testing::SingleThread one_thread;
  const Graph g = looped({{0, 1}, {1, 2}, {2, 0}, {3, 1}, {1, 3}}, 4);
  nn::ModelSpec o = small(mode);
  o.in_channels = 3;
  o.hidden_channels = 2;
  o.ffn_hidden = 3;
  o.laplacian_k = laplacian_k;
  o.norm_first = norm_first;
  Rng rng(6);
  nn::GraphTransformer<double> model(o, rng);
  const Tensor<double> x = testing::random_tensor(4, 3, 3);
  const Tensor<double> r = testing::random_tensor(4, 3, 4);
  auto objective = [&] {
    const Tensor<double> y = run(model, x, g);
    double s = 0;
    for (std::size_t k = 0; k < y.size(); ++k) s += r.data()[k] * y.data()[k];
    return s;
  };
  std::vector<Parameter<double>*> params = model.parameters();
  for (Parameter<double>* p : params) p->zero_grad();
  {
    Tape<double> tape;
    Var<double> y = model.forward(tape, x, g, nn::ForwardContext{false, 0});
    tape.backward(y, r);
  }
  for (Parameter<double>* p : params) {
    for (std::size_t k = 0; k < p->value.size(); ++k) {
      const double keep = p->value.data()[k];
      p->value.data()[k] = keep + 1e-6;
      const double up = objective();
      p->value.data()[k] = keep - 1e-6;
      const double down = objective();
      p->value.data()[k] = keep;
      EXPECT_NEAR(p->grad.data()[k], (up - down) / 2e-6, 1e-6) << p->name << "[" << k << "]";
    }
  }
}

TEST(GraphTransformer, GradientsMatchFiniteDifferencesOnTheGraphPath) {
  check_gradients(nn::AttentionMode::kGraph);
}
TEST(GraphTransformer, GradientsMatchFiniteDifferencesOnTheGraphAndDensePath) {
  check_gradients(nn::AttentionMode::kGraphAndDense);
}
TEST(GraphTransformer, GradientsMatchFiniteDifferencesWithLaplacianEncodingsAndPreNorm) {
  check_gradients(nn::AttentionMode::kGraphAndDense, 2, true);
  check_gradients(nn::AttentionMode::kDense, 3, false);
}

Parameter<double>& named(nn::GraphTransformer<double>& model, const std::string& name) {
  for (Parameter<double>* p : model.parameters()) {
    if (p->name == name) return *p;
  }
  throw Error("no parameter " + name);
}

// Pre-norm blocks, written out for one block with one head on a graph whose
// every node attends to itself only: attention is then the identity on the
// values, so block(h) = h + W_O V(LN(h)) ..., with LN and the FFN by hand,
// after the embedding's own LN.
TEST(GraphTransformer, PreNormBlockMatchesAHandComputation) {
  const int n = 3;
  const Graph g = looped({}, n);  // self loops only
  nn::ModelSpec o = small(nn::AttentionMode::kGraph);
  o.in_channels = 2;
  o.hidden_channels = 2;
  o.heads = 1;
  o.ffn_hidden = 2;
  o.layers = 1;
  o.out_channels = 2;
  o.norm_first = true;
  Rng rng(9);
  nn::GraphTransformer<double> model(o, rng);
  const Tensor<double> x = testing::random_tensor(n, 2, 5);
  auto linear = [&](const std::vector<double>& in, const std::string& name, bool bias) {
    const Tensor<double>& wt = named(model, name + ".weight").value;
    std::vector<double> out(wt.cols(), 0.0);
    for (std::size_t c = 0; c < wt.cols(); ++c) {
      for (std::size_t r = 0; r < wt.rows(); ++r) out[c] += in[r] * wt(r, c);
      if (bias) out[c] += named(model, name + ".bias").value(0, c);
    }
    return out;
  };
  // LayerNorm over 2 features with unit scale and zero shift: (a - m) / s.
  auto layer_norm = [](std::vector<double> v) {
    const double m = (v[0] + v[1]) / 2;
    const double var = ((v[0] - m) * (v[0] - m) + (v[1] - m) * (v[1] - m)) / 2;
    for (double& e : v) e = (e - m) / std::sqrt(var + 1e-5);
    return v;
  };
  const Tensor<double> got = run(model, x, g);
  for (int i = 0; i < n; ++i) {
    // The embedding is normalised first (BERT's embedding LayerNorm).
    std::vector<double> h =
        layer_norm(linear({x(std::size_t(i), 0), x(std::size_t(i), 1)}, "input", true));
    const std::vector<double> a =
        linear(linear(layer_norm(h), "block0.value", true), "block0.output", true);
    for (int c = 0; c < 2; ++c) h[std::size_t(c)] += a[std::size_t(c)];
    std::vector<double> f = linear(layer_norm(h), "block0.ffn_in", true);
    for (double& e : f) e = std::max(e, 0.0);
    f = linear(f, "block0.ffn_out", true);
    for (int c = 0; c < 2; ++c) h[std::size_t(c)] += f[std::size_t(c)];
    const std::vector<double> logits = linear(layer_norm(h), "classifier", true);
    for (int c = 0; c < 2; ++c) {
      EXPECT_NEAR(got(std::size_t(i), std::size_t(c)), logits[std::size_t(c)], 1e-10)
          << "node " << i;
    }
  }
}

// In training, each eigenvector's sign is flipped at random per step: every
// training output (dropout off) must be the eval output of the model with
// some rows of the encodings' projection negated, and over a few steps more
// than one pattern must appear. Eval mode never flips.
TEST(GraphTransformer, LaplacianEncodingSignsAreFlippedAtRandomInTrainingOnly) {
  const Graph g = looped({{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 0}, {1, 4}}, 6);
  nn::ModelSpec o = small(nn::AttentionMode::kGraph);
  o.dropout = 0;
  o.attention_dropout = 0;
  o.laplacian_k = 2;
  Rng rng(11);
  nn::GraphTransformer<double> model(o, rng);
  const Tensor<double> x = testing::random_tensor(6, 5, 6);
  Tensor<double>& w = named(model, "positional.weight").value;
  const Tensor<double> original = w;
  std::vector<Tensor<double>> patterns;  // eval outputs for sign patterns 00, 01, 10, 11
  for (int p = 0; p < 4; ++p) {
    w = original;
    for (int c = 0; c < 2; ++c) {
      if ((p >> c) & 1) {
        for (std::size_t j = 0; j < w.cols(); ++j) w(std::size_t(c), j) = -w(std::size_t(c), j);
      }
    }
    patterns.push_back(run(model, x, g));
  }
  w = original;
  std::set<int> seen;
  for (std::uint64_t key = 1; key <= 16; ++key) {
    Tape<double> tape;
    const Tensor<double> y = model.forward(tape, x, g, nn::ForwardContext{true, key}).value();
    int match = -1;
    for (int p = 0; p < 4; ++p) {
      double diff = 0;
      for (std::size_t k = 0; k < y.size(); ++k)
        diff += std::abs(y.data()[k] - patterns[std::size_t(p)].data()[k]);
      if (diff < 1e-10) match = p;
    }
    ASSERT_GE(match, 0) << "key " << key << ": not a sign pattern of the encodings";
    seen.insert(match);
  }
  EXPECT_GE(seen.size(), 3u);
  const Tensor<double> eval = run(model, x, g);
  for (std::size_t k = 0; k < eval.size(); ++k) EXPECT_EQ(eval.data()[k], patterns[0].data()[k]);
}

TEST(GraphTransformer, TrainedDenseMaskedRunsSparseWithTheSamePredictionsOnCora) {
  const std::filesystem::path cora = std::filesystem::path(HEED_TEST_DATA_DIR) / "cora";
  if (!std::filesystem::exists(cora / "meta.json")) GTEST_SKIP() << "no " << cora;
  const data::Dataset d = data::load_dataset(cora.string(), data::LoadOptions{true});
  nn::ModelSpec o;
  o.model = nn::kTransformerModel;
  o.in_channels = d.num_features();
  o.out_channels = d.num_classes;
  o.hidden_channels = 8;
  o.heads = 2;
  o.ffn_hidden = 16;
  o.layers = 1;
  o.dropout = 0.2;
  o.attention_dropout = 0.1;
  o.attention = nn::AttentionMode::kDenseMasked;
  Rng rng(0);
  nn::GraphTransformer<float> dense(o, rng);
  train::TrainOptions t;
  t.max_epochs = 20;
  t.adam.lr = 0.02;
  const train::FitResult fit = train::fit(dense, d, t, rng);
  EXPECT_GT(fit.test_accuracy, 0.5);

  // The trained weights, loaded into a model that runs on the graph's edges.
  o.attention = nn::AttentionMode::kGraph;
  Rng other(1);
  nn::GraphTransformer<float> sparse(o, other);
  const auto from = dense.parameters(), to = sparse.parameters();
  ASSERT_EQ(from.size(), to.size());
  for (std::size_t k = 0; k < from.size(); ++k) to[k]->value = from[k]->value;

  const Graph g = d.graph.with_self_loops();
  Tape<float> t1, t2;
  const Tensor<float> a = dense.forward(t1, d.x, g, nn::ForwardContext{false, 0}).value();
  const Tensor<float> b = sparse.forward(t2, d.x, g, nn::ForwardContext{false, 0}).value();
  int differ = 0;
  double worst = 0;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    auto ra = a.row(i), rb = b.row(i);
    differ += std::max_element(ra.begin(), ra.end()) - ra.begin() !=
              std::max_element(rb.begin(), rb.end()) - rb.begin();
    for (std::size_t c = 0; c < a.cols(); ++c)
      worst = std::max(worst, double(std::abs(ra[c] - rb[c])));
  }
  std::printf("largest logit difference %.3g over %zu nodes\n", worst, a.rows());
  EXPECT_EQ(differ, 0) << "nodes predicted differently";
  EXPECT_LT(worst, 1e-4);
}

}  // namespace
}  // namespace heed
