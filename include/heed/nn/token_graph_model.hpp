#pragma once
// A model over token graphs (a document as a graph of its tokens): learned
// token embeddings plus positions, then a body (a GNN stack or the
// transformer, graph-level) that takes those rows as its input features:
//   h0_i = E[token_i] + P(position_i)
// with P sinusoidal (Vaswani et al.: P(p)_2k = sin(p / 10000^(2k/d)),
// P(p)_2k+1 = cos(p / 10000^(2k/d))) or a learned table. The input's
// features are one column: each node's token id (exact in float below
// 2^24); a node's position is its index within its graph of the batch.
#include <cstdint>
#include <memory>
#include <vector>

#include "heed/nn/model.hpp"

namespace heed::nn {

enum class Positions { kSinusoidal, kLearned };

template <>
struct EnumNames<Positions> {
  static constexpr const char* kSetting = "positions";
  static constexpr std::array<std::pair<Positions, const char*>, 2> kAll{
      {{Positions::kSinusoidal, "sinusoidal"}, {Positions::kLearned, "learned"}}};
};

struct TokenEmbeddingSpec {
  int vocabulary = 0;     // token ids 0 .. vocabulary - 1
  int max_positions = 0;  // the longest graph, in nodes
  Positions positions = Positions::kSinusoidal;
};

template <class T>
class TokenGraphModel final : public Model<T> {
 public:
  /// `body` is graph-level, its in_channels the embedding width. heed::Error
  /// naming the bad setting otherwise, or if the vocabulary or positions
  /// are below 1.
  TokenGraphModel(const TokenEmbeddingSpec& tokens, const ModelSpec& body, Rng& rng);

  std::vector<Parameter<T>*> parameters() override;
  /// The body's spec: what the outputs are.
  const ModelSpec& spec() const override { return body_->spec(); }
  const TokenEmbeddingSpec& tokens() const { return tokens_; }

 private:
  Var<T> run(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
             const Inspection<T>& inspect) override;

  TokenEmbeddingSpec tokens_;
  int width_ = 0;
  Parameter<T> table_;      // vocabulary x width
  Parameter<T> positions_;  // max_positions x width, learned positions only
  Tensor<T> sinusoid_;      // max_positions x width, sinusoidal positions only
  std::unique_ptr<Model<T>> body_;
};

extern template class TokenGraphModel<float>;
extern template class TokenGraphModel<double>;

}  // namespace heed::nn
