// Token graph models: the input rows are E[token] + P(position), checked by
// running the same body on those rows written out by hand (sinusoids from
// their formula, learned positions from the table); gradients of the token
// and position tables by finite differences in double; bad ids refused.
#include "heed/nn/token_graph_model.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "heed/error.hpp"
#include "heed/graph/graph_batch.hpp"
#include "support/finite_difference.hpp"

namespace heed {
namespace {

// Two documents of 3 and 2 tokens, each a complete graph with self loops.
GraphBatch two_documents() {
  EdgeList e;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) e.add(i, j);
  }
  for (int i = 3; i < 5; ++i) {
    for (int j = 3; j < 5; ++j) e.add(i, j);
  }
  return batch_from_graph_ids(Graph(5, e), std::vector<std::int64_t>{0, 0, 0, 1, 1});
}

nn::ModelSpec body(const std::string& model) {
  nn::ModelSpec s;
  s.model = model;
  s.in_channels = 6;
  s.out_channels = 3;
  s.hidden_channels = 3;
  s.heads = 2;
  s.layers = 2;
  s.readout = nn::Readout::kMean;
  s.dropout = 0;
  s.attention_dropout = 0;
  return s;
}

const std::vector<std::int32_t> kTokens{4, 1, 4, 0, 2};
const std::vector<std::int32_t> kPositions{0, 1, 2, 0, 1};

Tensor<double> token_ids() {
  Tensor<double> x(5, 1);
  for (std::size_t i = 0; i < 5; ++i) x(i, 0) = kTokens[i];
  return x;
}

void expect_rows_are_embedding_plus_position(const std::string& model, nn::Positions positions) {
  const nn::TokenEmbeddingSpec tokens{5, 4, positions};
  Rng rng{3};
  nn::TokenGraphModel<double> m(tokens, body(model), rng);
  // The same body alone, given m's body parameters.
  Rng other{99};
  auto alone = nn::make_model<double>(body(model), other);
  const auto params = m.parameters();
  const std::size_t tables = positions == nn::Positions::kLearned ? 2 : 1;
  const auto body_params = alone->parameters();
  ASSERT_EQ(params.size(), body_params.size() + tables);
  for (std::size_t k = 0; k < body_params.size(); ++k) {
    body_params[k]->value = params[k + tables]->value;
  }
  const Tensor<double>& table = params[0]->value;
  Tensor<double> rows(5, 6);
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t c = 0; c < 6; ++c) {
      double p;
      if (positions == nn::Positions::kLearned) {
        p = params[1]->value(std::size_t(kPositions[i]), c);
      } else {
        // P(p)_2k = sin(p / 10000^(2k/d)), P(p)_2k+1 = cos(p / 10000^(2k/d)).
        const double angle = kPositions[i] / std::pow(10000.0, double(c / 2 * 2) / 6.0);
        p = c % 2 == 0 ? std::sin(angle) : std::cos(angle);
      }
      rows(i, c) = table(std::size_t(kTokens[i]), c) + p;
    }
  }
  const GraphBatch docs = two_documents();
  const Tensor<double> ids = token_ids();
  const nn::NodeFeatures<double> f_ids(ids), f_rows(rows);
  Tape<double> tape(Tape<double>::Gradients::kOff);
  const Tensor<double> got =
      m.forward(tape, {&docs.graph, &f_ids, nullptr, docs.node_offsets}, {false, 0}).value();
  const Tensor<double> want =
      alone->forward(tape, {&docs.graph, &f_rows, nullptr, docs.node_offsets}, {false, 0}).value();
  ASSERT_EQ(got.rows(), 2u);
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_NEAR(got.data()[k], want.data()[k], 1e-12) << model << " " << k;
  }
}

TEST(TokenGraphModel, RowsAreTheTokensEmbeddingPlusItsPosition) {
  expect_rows_are_embedding_plus_position("gat", nn::Positions::kSinusoidal);
  expect_rows_are_embedding_plus_position("gat", nn::Positions::kLearned);
  expect_rows_are_embedding_plus_position("transformer", nn::Positions::kSinusoidal);
}

TEST(TokenGraphModel, TableGradientsMatchFiniteDifferences) {
  const testing::SingleThread one_thread;
  const nn::TokenEmbeddingSpec tokens{5, 4, nn::Positions::kLearned};
  Rng rng{5};
  nn::TokenGraphModel<double> m(tokens, body("transformer"), rng);
  const GraphBatch docs = two_documents();
  const Tensor<double> ids = token_ids();
  const nn::NodeFeatures<double> f(ids);
  const Tensor<double> r = testing::random_tensor(2, 3, 8);
  auto loss = [&](bool backward) {
    Tape<double> tape;
    Var<double> out = m.forward(tape, {&docs.graph, &f, nullptr, docs.node_offsets}, {true, 1});
    Var<double> l = testing::weighted_sum(out, r);
    if (backward) tape.backward(l);
    return l.value()(0, 0);
  };
  for (Parameter<double>* p : m.parameters()) p->zero_grad();
  loss(true);
  const auto params = m.parameters();
  for (std::size_t t = 0; t < 2; ++t) {  // the token table, the position table
    Parameter<double>& p = *params[t];
    for (std::size_t k = 0; k < p.value.size(); ++k) {
      const double keep = p.value.data()[k];
      p.value.data()[k] = keep + 1e-6;
      const double up = loss(false);
      p.value.data()[k] = keep - 1e-6;
      const double down = loss(false);
      p.value.data()[k] = keep;
      EXPECT_NEAR(p.grad.data()[k], (up - down) / 2e-6, 1e-6) << p.name << " " << k;
    }
  }
  // Token 3 appears nowhere: its row gets no gradient.
  for (std::size_t c = 0; c < 6; ++c) EXPECT_EQ(params[0]->grad(3, c), 0.0);
}

TEST(TokenGraphModel, BadIdsAndLongGraphsAreRefused) {
  Rng rng{1};
  nn::TokenGraphModel<double> m({5, 2, nn::Positions::kSinusoidal}, body("gat"), rng);
  const GraphBatch docs = two_documents();
  auto error_for = [&](const Tensor<double>& x) -> std::string {
    const nn::NodeFeatures<double> f(x);
    Tape<double> tape(Tape<double>::Gradients::kOff);
    try {
      m.forward(tape, {&docs.graph, &f, nullptr, docs.node_offsets}, {false, 0});
    } catch (const Error& e) {
      return e.what();
    }
    return {};
  };
  // Document 0 has 3 tokens, past max_positions 2.
  EXPECT_EQ(error_for(token_ids()), "token graph model: graph 0 has more than 2 tokens");
  Rng rng2{1};
  nn::TokenGraphModel<double> wide({5, 4, nn::Positions::kSinusoidal}, body("gat"), rng2);
  Tensor<double> x = token_ids();
  x(1, 0) = 5;
  const nn::NodeFeatures<double> f(x);
  Tape<double> tape(Tape<double>::Gradients::kOff);
  try {
    wide.forward(tape, {&docs.graph, &f, nullptr, docs.node_offsets}, {false, 0});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "token graph model: node 1's token id 5.000000 is not one of the 5 ids");
  }
  x(1, 0) = 1.5;
  const nn::NodeFeatures<double> half(x);
  EXPECT_THROW(wide.forward(tape, {&docs.graph, &half, nullptr, docs.node_offsets}, {false, 0}),
               Error);
  EXPECT_THROW(nn::TokenGraphModel<double>({0, 4, nn::Positions::kLearned}, body("gat"), rng2),
               Error);
  nn::ModelSpec node_level = body("gat");
  node_level.readout = nn::Readout::kNone;
  EXPECT_THROW(nn::TokenGraphModel<double>({5, 4, nn::Positions::kLearned}, node_level, rng2),
               Error);
}

}  // namespace
}  // namespace heed
