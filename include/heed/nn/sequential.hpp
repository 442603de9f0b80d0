#pragma once
// A list of modules run in order, as PyTorch models are often written
// (conv1 -> ELU -> conv2): the shape of models imported from, and exported
// to, other frameworks. Each module is a registered conv, a linear layer, an
// activation or dropout (ModuleSpec); the graph and the edge features reach
// every conv.
//
//   h_0 = x,   h_{k+1} = module_k(h_k),   out = h_K
#include <memory>
#include <optional>
#include <vector>

#include "heed/nn/conv_registry.hpp"
#include "heed/nn/linear.hpp"
#include "heed/nn/model.hpp"

namespace heed::nn {

template <class T>
class Sequential final : public Model<T> {
 public:
  /// Validates the spec (heed::Error naming the bad module and setting).
  Sequential(const ModelSpec& spec, Rng& rng);

  /// Every module's parameters, in module order.
  std::vector<Parameter<T>*> parameters() override;
  const ModelSpec& spec() const override { return spec_; }
  /// The parameters of module k alone (none for activations and dropout).
  std::vector<Parameter<T>*> module_parameters(std::size_t k);

 private:
  Var<T> run(Tape<T>& tape, const GraphInput<T>& input, const ForwardContext& context,
             const Inspection<T>& inspect) override;

  struct Stage {
    std::unique_ptr<Conv<T>> conv;    // a conv module
    std::optional<Linear<T>> linear;  // a linear module
  };
  ModelSpec spec_;
  std::vector<Stage> stages_;
};

extern template class Sequential<float>;
extern template class Sequential<double>;

}  // namespace heed::nn
