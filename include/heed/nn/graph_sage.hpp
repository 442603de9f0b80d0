#pragma once
// A 2-layer GraphSAGE-mean model, set up as the GCN baseline is:
//   dropout -> SAGEConv(hidden) -> ReLU -> dropout -> SAGEConv(classes) -> log_softmax
#include <vector>

#include "heed/nn/node_model.hpp"
#include "heed/nn/sage_conv.hpp"

namespace heed::nn {

struct GraphSAGEOptions {
  int in_channels = 0;
  int hidden_channels = 16;
  int out_channels = 0;  // classes
  double dropout = 0.5;  // on each layer's input, in training only
};

template <class T>
class GraphSAGE final : public NodeModel<T> {
 public:
  GraphSAGE(const GraphSAGEOptions& options, Rng& rng);
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, const Inspection<T>& inspect = {}) override;
  std::vector<Parameter<T>*> parameters() override;
  const char* name() const override { return "sage"; }

 private:
  GraphSAGEOptions options_;
  SAGEConv<T> hidden_;
  SAGEConv<T> output_;
};

extern template class GraphSAGE<float>;
extern template class GraphSAGE<double>;

}  // namespace heed::nn
