#pragma once
// The GCN paper's transductive model (Kipf and Welling, ICLR 2017):
//   dropout -> GCNConv(hidden) -> ReLU -> dropout -> GCNConv(classes) -> log_softmax
#include <vector>

#include "heed/nn/gcn_conv.hpp"
#include "heed/nn/node_model.hpp"

namespace heed::nn {

struct GCNOptions {
  int in_channels = 0;
  int hidden_channels = 16;
  int out_channels = 0;  // classes
  double dropout = 0.5;  // on each layer's input, in training only
};

template <class T>
class GCN final : public NodeModel<T> {
 public:
  GCN(const GCNOptions& options, Rng& rng);
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, const Inspection<T>& inspect = {}) override;
  std::vector<Parameter<T>*> parameters() override;
  const char* name() const override { return "gcn"; }

 private:
  GCNOptions options_;
  GCNConv<T> hidden_;
  GCNConv<T> output_;
};

extern template class GCN<float>;
extern template class GCN<double>;

}  // namespace heed::nn
