#pragma once
// Reverse-mode automatic differentiation on a tape. A forward pass records
// each op's value and a closure that pushes the output's gradient to its
// inputs; backward() runs the closures newest first. A tape lives for one
// step: build it, call backward, read the parameters' gradients, drop it.
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "heed/tensor/random.hpp"
#include "heed/tensor/tensor.hpp"

namespace heed {

namespace kernels {
template <class T>
struct SparseMatrix;
}

/// A trainable tensor that outlives tapes. Its gradient accumulates across
/// backward passes until zero_grad().
template <class T>
struct Parameter {
  Parameter() = default;
  Parameter(std::string name_, Tensor<T> value_, bool decay_ = true)
      : name(std::move(name_)),
        value(std::move(value_)),
        grad(value.rows(), value.cols()),
        decay(decay_) {}

  std::string name;
  Tensor<T> value;
  Tensor<T> grad;
  bool decay = true;  // whether weight decay (L2) applies; off for biases
  void zero_grad() { grad.fill(T(0)); }
};

template <class T>
class Tape;

/// A handle to a value recorded on a tape.
template <class T>
class Var {
 public:
  Var() = default;
  Var(Tape<T>* tape, std::size_t id) : tape_(tape), id_(id) {}
  Tape<T>& tape() const { return *tape_; }
  std::size_t id() const { return id_; }
  const Tensor<T>& value() const;
  /// The value's shape, known without materialising a deferred value.
  std::size_t rows() const;
  std::size_t cols() const;
  bool requires_grad() const;

 private:
  Tape<T>* tape_ = nullptr;
  std::size_t id_ = 0;
};

template <class T>
class Tape {
 public:
  /// Pushes the output's gradient (the argument) into the inputs' gradients.
  /// The op may consume the argument's buffer (accumulate_grad): nothing
  /// reads it after the op's backward step.
  using Backward = std::function<void(Tensor<T>& grad_output)>;

  /// Whether parameters take gradients on this tape. Without (torch's
  /// no_grad, for evaluation and inference) a model's ops see no input that
  /// needs a gradient, so they record no backward step and keep none of the
  /// state one would read (GAT's node terms, say).
  enum class Gradients { kOn, kOff };

  Tape() = default;
  /// A tape whose large buffers (ops' values, gradients) come from and go
  /// back to `cache`, which outlives tapes: a trainer keeps one across
  /// steps so that no step faults its buffers in afresh.
  explicit Tape(std::shared_ptr<BufferCache> cache, Gradients gradients = Gradients::kOn)
      : cache_(std::move(cache)), gradients_(gradients) {}
  explicit Tape(Gradients gradients) : gradients_(gradients) {}
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// A zeroed buffer for an op's value, from the tape's cache if it has one.
  Tensor<T> zeros(std::size_t rows, std::size_t cols) const {
    return Tensor<T>::zeros(rows, cols, cache_);
  }
  /// A buffer for a value that the op writes in full (contents undefined).
  Tensor<T> uninitialized(std::size_t rows, std::size_t cols) const {
    return Tensor<T>::uninitialized(rows, cols, cache_);
  }
  const std::shared_ptr<BufferCache>& cache() const { return cache_; }

  /// A value that needs no gradient (data, labels).
  Var<T> constant(Tensor<T> value);
  /// A constant read in place, without a copy; it must outlive the tape.
  Var<T> view(const Tensor<T>& value);
  /// A model's constant input features, read in place, with their nonzeros
  /// when most of them are zero (`sparse` may be null): products with the
  /// value then go through the nonzeros only. Both must outlive the tape.
  Var<T> features(const Tensor<T>& dense, std::shared_ptr<const kernels::SparseMatrix<T>> sparse);
  /// Inverted dropout of such features, deferred: products use the nonzeros
  /// with the mask drawn inside them, and the dense value is computed only
  /// if something reads it (by `dense_value`, which must give
  /// exactly what ops::dropout would). `x` must have a sparse form.
  Var<T> dropped_features(Var<T> x, const KeyedDropout<T>& dropout,
                          std::function<Tensor<T>()> dense_value);
  /// The nonzeros of a constant (Tape::features), or null.
  const std::shared_ptr<const kernels::SparseMatrix<T>>& sparse_form(std::size_t id) const {
    return nodes_[id].sparse;
  }
  /// The dropout still to apply to the sparse form (inactive if none).
  const KeyedDropout<T>& sparse_dropout(std::size_t id) const { return nodes_[id].sparse_dropout; }

  /// A value whose gradient backward() computes (tests differentiate inputs).
  Var<T> variable(Tensor<T> value);
  /// A parameter: read in place, gradient accumulated into parameter.grad
  /// (on a tape without gradients, a constant view).
  Var<T> parameter(Parameter<T>& parameter);
  /// Records an op's result. `backward` runs only if the result needs a gradient.
  Var<T> record(Tensor<T> value, bool requires_grad, Backward backward);

  /// The node's value; a deferred one is computed on first read.
  const Tensor<T>& value(std::size_t id) const {
    const Node& node = nodes_[id];
    if (node.value == nullptr) {
      node.owned_value = node.deferred();
      node.value = &node.owned_value;
    }
    return *node.value;
  }
  std::size_t rows(std::size_t id) const { return nodes_[id].rows; }
  std::size_t cols(std::size_t id) const { return nodes_[id].cols; }
  bool requires_grad(std::size_t id) const { return nodes_[id].requires_grad; }
  /// The gradient buffer of a node that requires one, zero on first access.
  Tensor<T>& grad(std::size_t id);
  /// grad(id) += g. When node id has no gradient yet, it takes g's buffer
  /// instead (g is left empty): an op whose input gradient equals, or is
  /// computed in place from, its output gradient then costs no zeroed
  /// buffer and no extra pass.
  void accumulate_grad(std::size_t id, Tensor<T>& g);
  /// grad(id) += g, leaving g as it is (a copy when node id has no gradient
  /// yet, so no zero fill first).
  void accumulate_grad_copy(std::size_t id, const Tensor<T>& g);
  /// Gradient of a node after backward(); empty if none reached it.
  const Tensor<T>* find_grad(std::size_t id) const { return nodes_[id].grad; }

  /// Backpropagates from a 1 x 1 value with seed gradient 1. The gradients
  /// of intermediate results are released as soon as their op has pushed
  /// them on; those of variables and parameters stay.
  void backward(Var<T> loss);
  /// Backpropagates from any value with the given gradient of it (same
  /// shape), as torch's out.backward(grad) does.
  void backward(Var<T> output, const Tensor<T>& grad_output);
  /// The same, taking the gradient's buffer instead of copying it (the ops
  /// may consume it).
  void backward(Var<T> output, Tensor<T>&& grad_output);
  std::size_t size() const { return nodes_.size(); }

 private:
  // Checks that `output` can seed a backward pass with a gradient of `grad`'s shape.
  void check_output(Var<T> output, const Tensor<T>& grad) const;
  // Runs the recorded backward steps from node `id` down.
  void run_backward(std::size_t id);

  struct Node {
    // A deferred value is filled in by the first read (value() is const).
    mutable Tensor<T> owned_value;
    mutable const Tensor<T>* value = nullptr;
    std::function<Tensor<T>()> deferred;
    std::size_t rows = 0, cols = 0;
    std::shared_ptr<const kernels::SparseMatrix<T>> sparse;
    KeyedDropout<T> sparse_dropout;
    Tensor<T> owned_grad;
    Tensor<T>* grad = nullptr;
    bool requires_grad = false;
    Backward backward;
  };
  // A deque keeps references to nodes stable as the tape grows.
  std::deque<Node> nodes_;
  std::shared_ptr<BufferCache> cache_;
  Gradients gradients_ = Gradients::kOn;
};

template <class T>
const Tensor<T>& Var<T>::value() const {
  return tape_->value(id_);
}
template <class T>
std::size_t Var<T>::rows() const {
  return tape_->rows(id_);
}
template <class T>
std::size_t Var<T>::cols() const {
  return tape_->cols(id_);
}
template <class T>
bool Var<T>::requires_grad() const {
  return tape_->requires_grad(id_);
}

extern template class Tape<float>;
extern template class Tape<double>;

}  // namespace heed
