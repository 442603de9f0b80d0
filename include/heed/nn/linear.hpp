#pragma once
// y = x W + b: the dense projection transformer blocks are built from.
#include <string>
#include <vector>

#include "heed/autograd/ops.hpp"
#include "heed/autograd/tape.hpp"
#include "heed/nn/init.hpp"

namespace heed::nn {

template <class T>
class Linear {
 public:
  Linear() = default;
  /// W Glorot-uniform, b zero; `name` prefixes the parameters' names.
  Linear(int in, int out, Rng& rng, const std::string& name, bool bias = true)
      : weight_(name + ".weight", glorot_uniform<T>(std::size_t(in), std::size_t(out),
                                                    std::size_t(in), std::size_t(out), rng)),
        has_bias_(bias) {
    if (bias) bias_ = Parameter<T>(name + ".bias", Tensor<T>(1, std::size_t(out)), false);
  }

  Var<T> forward(Var<T> x) {
    Var<T> y = ops::matmul(x, x.tape().parameter(weight_));
    return has_bias_ ? ops::add_bias(y, x.tape().parameter(bias_)) : y;
  }
  void collect(std::vector<Parameter<T>*>& out) {
    out.push_back(&weight_);
    if (has_bias_) out.push_back(&bias_);
  }

 private:
  Parameter<T> weight_;
  Parameter<T> bias_;
  bool has_bias_ = true;
};

}  // namespace heed::nn
