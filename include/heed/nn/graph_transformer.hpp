#pragma once
// A transformer for node classification whose attention runs one of three
// ways over the same parameters (issue #5):
//   kGraph       scaled dot-product attention on the graph's edges (with self
//                loops): a stack of PyG's TransformerConv, sparse
//   kDenseMasked dense N x N attention (BLAS) masked by the same adjacency:
//                the same numbers, computed as a transformer would
//   kDense       dense attention over all pairs: a plain transformer
// and optionally both local (graph) and global (dense) attention summed, as
// GraphGPS does. Each block (post-norm, as Vaswani et al.):
//   h = LN(h + W_O attention(h W_Q, h W_K, h W_V));  h = LN(h + FFN(h))
// between an input projection (features, with Laplacian encodings appended
// when given) and an output projection to the classes, or, for a
// graph-level model (a readout), the readout and its MLP head
// (nn/graph_readout.hpp): one row per graph.
#include <memory>
#include <vector>

#include "heed/nn/graph_identity.hpp"
#include "heed/nn/graph_readout.hpp"
#include "heed/nn/linear.hpp"
#include "heed/nn/model.hpp"
#include "heed/tensor/tensor_pool.hpp"

namespace heed::nn {

// Its settings are a ModelSpec's (model "transformer"): the width is
// heads x hidden_channels; ffn_hidden (0: twice the width), attention,
// laplacian_k (Laplacian positional encodings: this many eigenvectors of the
// graph's normalised Laplacian, heed::laplacian_encoding, projected to the
// width and added to the projected features, signs flipped at random in
// training since the solver's sign means nothing) and norm_first.
//
// norm_first gives pre-norm blocks (Xiong et al. 2020; PyTorch's norm_first):
//   h = h + W_O attention(LN(h));  h = h + FFN(LN(h)); a last LN at the end,
// and the embedding (projected features + encodings) normalised first, as
// BERT does. Deep post-norm stacks trained on few labels collapse (6 layers
// on Cora's 140 labels: 32 % test accuracy at lr 0.005); pre-norm ones
// train. Without the embedding norm, Cora's row-normalised features project
// to entries near 0.01, and attention over all pairs adds one O(1) vector to
// every node that drowns them: the model cannot even fit its 140 labels.

template <class T>
class GraphTransformer final : public Model<T> {
 public:
  /// Validates the spec (heed::Error naming the bad setting).
  GraphTransformer(const ModelSpec& spec, Rng& rng);

  // `graph` should carry self loops (the trainer's does). In the dense
  // modes the attention matrices are N x N per head, so a graph-level model
  // attends densely to one graph at a time: over a batch of graphs "all
  // pairs" would cross graphs (attention on each graph made complete is the
  // same thing, sparse). Laplacian encodings are each graph's own.
  std::vector<Parameter<T>*> parameters() override;
  const ModelSpec& spec() const override { return spec_; }
  /// Runs the same parameters another way (the weight-transfer experiment):
  /// graph, dense-masked and dense share them; graph+dense has its own.
  void set_attention(AttentionMode mode);

 private:
  // The sizes the blocks are built with, from the spec.
  struct Sizes {
    int in_channels, out_channels, hidden, heads, ffn_hidden, layers;
    double dropout, attention_dropout;
    AttentionMode attention;
    int laplacian_k;
    bool norm_first;
  };
  Var<T> run(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
             const Inspection<T>& inspect) override;
  struct Block {
    Linear<T> query, key, value, output;
    Linear<T> global_query, global_key, global_value, global_output;  // graph+dense only
    Linear<T> ffn_in, ffn_out;
    Parameter<T> norm1_scale, norm1_shift, norm2_scale, norm2_shift;
  };
  Var<T> attend(Block& b, Var<T> h, const Graph& graph, const ForwardContext& context,
                std::uint64_t key, Attention<T>* attention);
  // The graph's encodings (computed once per graph), signs flipped at random
  // when training.
  Tensor<T> positional_input(const Graph& graph, std::span<const std::int64_t> graph_offsets,
                             const ForwardContext& context);

  ModelSpec spec_;
  Sizes options_;
  Linear<T> input_;
  Linear<T> positional_;  // laplacian_k > 0 only
  std::vector<Block> blocks_;
  Parameter<T> embedding_scale_, embedding_shift_;  // norm_first only
  Parameter<T> final_scale_, final_shift_;          // norm_first only
  Linear<T> classifier_;     // node-level models
  GraphReadout<T> readout_;  // graph-level models
  // The adjacency as a dense mask, for kDenseMasked, and which graph it is of.
  std::shared_ptr<const std::vector<std::uint8_t>> mask_;
  GraphIdentity mask_graph_;
  Tensor<T> encoding_;
  GraphIdentity encoding_graph_;
  std::vector<std::int64_t> encoding_offsets_;
  // Lends the dense modes their N x N buffers from one step to the next.
  std::shared_ptr<TensorPool<T>> pool_;
};

extern template class GraphTransformer<float>;
extern template class GraphTransformer<double>;

}  // namespace heed::nn
