#include "heed/nn/token_graph_model.hpp"

#include <cmath>
#include <string>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"

namespace heed::nn {
namespace {

// nn.Embedding's initialisation: N(0, 1) entries.
template <class T>
Tensor<T> normal_table(std::size_t rows, std::size_t cols, Rng& rng) {
  Tensor<T> t(rows, cols);
  for (T& v : t.values()) v = T(rng.normal(0, 1));
  return t;
}

}  // namespace

template <class T>
TokenGraphModel<T>::TokenGraphModel(const TokenEmbeddingSpec& tokens, const ModelSpec& body,
                                    Rng& rng)
    : tokens_(tokens) {
  if (tokens.vocabulary < 1) {
    throw Error("token graph model: vocabulary must be >= 1, got " +
                std::to_string(tokens.vocabulary));
  }
  if (tokens.max_positions < 1) {
    throw Error("token graph model: max_positions must be >= 1, got " +
                std::to_string(tokens.max_positions));
  }
  if (!body.is_graph_level()) throw Error("token graph model: the body needs a readout");
  if (body.is_sequential()) throw Error("token graph model: the body must be a stack");
  body.validate();
  width_ = body.in_channels;
  const std::size_t w = std::size_t(width_);
  table_ = Parameter<T>("embedding.tokens", normal_table<T>(std::size_t(tokens.vocabulary), w, rng),
                        false);
  const std::size_t p = std::size_t(tokens.max_positions);
  if (tokens.positions == Positions::kLearned) {
    positions_ = Parameter<T>("embedding.positions", normal_table<T>(p, w, rng), false);
  } else {
    sinusoid_ = Tensor<T>(p, w);
    for (std::size_t pos = 0; pos < p; ++pos) {
      for (std::size_t c = 0; c < w; ++c) {
        const double rate = std::pow(10000.0, -double(c - c % 2) / double(w));
        const double angle = double(pos) * rate;
        sinusoid_(pos, c) = T(c % 2 == 0 ? std::sin(angle) : std::cos(angle));
      }
    }
  }
  body_ = make_model<T>(body, rng);
}

template <class T>
Var<T> TokenGraphModel<T>::run(Tape<T>& tape, const GraphInput<T>& input,
                               const ForwardContext& context, const Inspection<T>& inspect) {
  if (input.x == nullptr || input.x->cols() != 1) {
    throw Error("token graph model: the features must be one column of token ids");
  }
  const Tensor<T>& x = input.x->dense();
  const std::span<const std::int64_t> offsets = input.graph_offsets;
  if (offsets.empty() || offsets.back() != std::int64_t(x.rows())) {
    throw Error("token graph model: the input needs its graphs' node offsets");
  }
  std::vector<std::int32_t> ids(x.rows()), at(x.rows());
  for (std::size_t g = 0; g + 1 < offsets.size(); ++g) {
    for (std::int64_t i = offsets[g]; i < offsets[g + 1]; ++i) {
      const std::int64_t position = i - offsets[g];
      if (position >= tokens_.max_positions) {
        throw Error("token graph model: graph " + std::to_string(g) + " has more than " +
                    std::to_string(tokens_.max_positions) + " tokens");
      }
      at[std::size_t(i)] = std::int32_t(position);
    }
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const T v = x(i, 0);
    if (!(v >= 0 && v < T(tokens_.vocabulary)) || v != std::floor(v)) {
      throw Error("token graph model: node " + std::to_string(i) + "'s token id " +
                  std::to_string(double(v)) + " is not one of the " +
                  std::to_string(tokens_.vocabulary) + " ids");
    }
    ids[i] = std::int32_t(v);
  }
  Var<T> h = ops::embedding(tape.parameter(table_), ids);
  if (tokens_.positions == Positions::kLearned) {
    h = ops::add(h, ops::embedding(tape.parameter(positions_), at));
  } else {
    h = ops::add(h, ops::embedding(tape.view(sinusoid_), at));  // read in place, not copied
  }
  GraphInput<T> rows = input;
  rows.x = nullptr;
  rows.rows = &h;
  return body_->forward(tape, rows, context, inspect);
}

template <class T>
std::vector<Parameter<T>*> TokenGraphModel<T>::parameters() {
  std::vector<Parameter<T>*> p{&table_};
  if (tokens_.positions == Positions::kLearned) p.push_back(&positions_);
  for (Parameter<T>* q : body_->parameters()) p.push_back(q);
  return p;
}

template class TokenGraphModel<float>;
template class TokenGraphModel<double>;

}  // namespace heed::nn
