#pragma once
// The GAT paper's transductive model with GATv2Conv layers (Brody et al.
// keep GAT's setup on the citation graphs):
//   dropout -> GATv2Conv(heads x hidden, concat) -> ELU -> dropout
//           -> GATv2Conv(output_heads x classes, mean) -> log_softmax
// Feature dropout acts on each layer's input (as PyG's examples do).
#include <vector>

#include "heed/nn/gat.hpp"
#include "heed/nn/gatv2_conv.hpp"
#include "heed/nn/node_model.hpp"

namespace heed::nn {

template <class T>
class GATv2 final : public NodeModel<T> {
 public:
  /// Uses GATOptions' sizes, dropouts and slope; feature_dropout is ignored
  /// (always on each layer's input).
  GATv2(const GATOptions& options, Rng& rng);
  Var<T> forward(Tape<T>& tape, const NodeFeatures<T>& x, const Graph& graph,
                 const ForwardContext& context, const Inspection<T>& inspect = {}) override;
  std::vector<Parameter<T>*> parameters() override;
  const char* name() const override { return "gatv2"; }

 private:
  GATOptions options_;
  GATv2Conv<T> hidden_;
  GATv2Conv<T> output_;
};

extern template class GATv2<float>;
extern template class GATv2<double>;

}  // namespace heed::nn
