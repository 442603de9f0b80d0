#pragma once
// Adam (Kingma and Ba, 2015) with L2 weight decay added to the gradient, as
// in the GAT paper's code (tf.nn.l2_loss on weights, not biases) and as in
// torch.optim.Adam(weight_decay=...). Parameters whose `decay` is false
// (biases) get no decay.
#include <vector>

#include "heed/autograd/tape.hpp"

namespace heed::optim {

struct AdamOptions {
  double lr = 0.005;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

template <class T>
class Adam {
 public:
  Adam(std::vector<Parameter<T>*> parameters, const AdamOptions& options);
  /// One update from the parameters' current gradients.
  void step();
  void zero_grad();
  long steps() const { return step_; }
  /// The learning rate of the steps to come (a schedule sets it per epoch).
  void set_lr(double lr) { options_.lr = lr; }
  double lr() const { return options_.lr; }

  /// The moments and the step count: what a resumed run needs to continue
  /// exactly where this one stopped.
  struct State {
    std::vector<Tensor<T>> m, v;
    long step = 0;
  };
  State state() const { return {m_, v_, step_}; }
  /// heed::Error if the moments do not match the parameters' shapes.
  void restore(State state);

 private:
  std::vector<Parameter<T>*> parameters_;
  AdamOptions options_;
  std::vector<Tensor<T>> m_, v_;
  long step_ = 0;
};

extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace heed::optim
