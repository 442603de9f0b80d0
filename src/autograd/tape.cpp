#include "heed/autograd/tape.hpp"

#include <algorithm>

#include "heed/error.hpp"
#include "heed/kernels/spmm.hpp"
#include "heed/tensor/buffer_cache.hpp"

namespace heed {

template <class T>
Var<T> Tape<T>::constant(Tensor<T> value) {
  Node& node = nodes_.emplace_back();
  node.owned_value = std::move(value);
  node.value = &node.owned_value;
  node.rows = node.value->rows();
  node.cols = node.value->cols();
  return Var<T>(this, nodes_.size() - 1);
}

template <class T>
Var<T> Tape<T>::view(const Tensor<T>& value) {
  Node& node = nodes_.emplace_back();
  node.value = &value;
  node.rows = value.rows();
  node.cols = value.cols();
  return Var<T>(this, nodes_.size() - 1);
}

template <class T>
Var<T> Tape<T>::features(const Tensor<T>& dense,
                         std::shared_ptr<const kernels::SparseMatrix<T>> sparse) {
  Var<T> v = view(dense);
  nodes_.back().sparse = std::move(sparse);
  return v;
}

template <class T>
Var<T> Tape<T>::dropped_features(Var<T> x, const KeyedDropout<T>& dropout,
                                 std::function<Tensor<T>()> dense_value) {
  if (&x.tape() != this) throw Error("autograd: features belong to another tape");
  const Node& from = nodes_[x.id()];
  if (!from.sparse || from.requires_grad || from.sparse_dropout.active()) {
    throw Error("autograd: deferred dropout needs undropped constant features with a sparse form");
  }
  Node node;
  node.rows = from.rows;
  node.cols = from.cols;
  node.sparse = from.sparse;
  node.sparse_dropout = dropout;
  node.deferred = std::move(dense_value);
  nodes_.push_back(std::move(node));
  return Var<T>(this, nodes_.size() - 1);
}

template <class T>
Var<T> Tape<T>::variable(Tensor<T> value) {
  Var<T> v = constant(std::move(value));
  nodes_.back().requires_grad = true;
  return v;
}

template <class T>
Var<T> Tape<T>::parameter(Parameter<T>& parameter) {
  if (gradients_ == Gradients::kOff) return view(parameter.value);
  Node& node = nodes_.emplace_back();
  node.value = &parameter.value;
  node.rows = parameter.value.rows();
  node.cols = parameter.value.cols();
  if (!parameter.grad.same_shape(parameter.value)) {
    parameter.grad = Tensor<T>(parameter.value.rows(), parameter.value.cols());
  }
  node.grad = &parameter.grad;
  node.requires_grad = true;
  return Var<T>(this, nodes_.size() - 1);
}

template <class T>
Var<T> Tape<T>::record(Tensor<T> value, bool requires_grad, Backward backward) {
  Node& node = nodes_.emplace_back();
  node.owned_value = std::move(value);
  node.value = &node.owned_value;
  node.rows = node.value->rows();
  node.cols = node.value->cols();
  node.requires_grad = requires_grad;
  if (requires_grad) node.backward = std::move(backward);
  return Var<T>(this, nodes_.size() - 1);
}

template <class T>
Tensor<T>& Tape<T>::grad(std::size_t id) {
  Node& node = nodes_[id];
  if (!node.requires_grad) throw Error("autograd: gradient requested for a constant");
  if (node.grad == nullptr) {
    node.owned_grad = zeros(node.rows, node.cols);
    node.grad = &node.owned_grad;
  }
  return *node.grad;
}

template <class T>
void Tape<T>::accumulate_grad(std::size_t id, Tensor<T>& g) {
  Node& node = nodes_[id];
  if (!node.requires_grad) throw Error("autograd: gradient pushed to a constant");
  if (node.rows != g.rows() || node.cols != g.cols()) {
    throw Error("autograd: gradient " + g.shape_string() + " pushed to a value of " +
                std::to_string(node.rows) + " x " + std::to_string(node.cols));
  }
  if (node.grad == nullptr) {
    node.owned_grad = std::move(g);
    node.grad = &node.owned_grad;
    return;
  }
  const std::int64_t n = std::int64_t(g.size());
  const T* __restrict gv = g.data();
  T* __restrict into = node.grad->data();
#pragma omp parallel for simd schedule(static)
  for (std::int64_t k = 0; k < n; ++k) into[k] += gv[k];
}

template <class T>
void Tape<T>::accumulate_grad_copy(std::size_t id, const Tensor<T>& g) {
  Node& node = nodes_[id];
  if (!node.requires_grad) throw Error("autograd: gradient pushed to a constant");
  if (node.rows != g.rows() || node.cols != g.cols()) {
    throw Error("autograd: gradient " + g.shape_string() + " pushed to a value of " +
                std::to_string(node.rows) + " x " + std::to_string(node.cols));
  }
  const bool fresh = node.grad == nullptr;
  if (fresh) {
    node.owned_grad = uninitialized(node.rows, node.cols);
    node.grad = &node.owned_grad;
  }
  const std::int64_t n = std::int64_t(g.size());
  const T* __restrict gv = g.data();
  T* __restrict into = node.grad->data();
  if (fresh) {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t k = 0; k < n; ++k) into[k] = gv[k];
  } else {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t k = 0; k < n; ++k) into[k] += gv[k];
  }
}

template <class T>
void Tape<T>::backward(Var<T> loss) {
  if (&loss.tape() != this) throw Error("autograd: loss belongs to another tape");
  if (value(loss.id()).size() != 1) {
    throw Error("autograd: backward needs a scalar loss, got " + value(loss.id()).shape_string());
  }
  Tensor<T> one(1, 1);
  one.fill(T(1));
  backward(loss, one);
}

template <class T>
void Tape<T>::check_output(Var<T> output, const Tensor<T>& grad_output) const {
  if (&output.tape() != this) throw Error("autograd: output belongs to another tape");
  if (!grad_output.same_shape(value(output.id()))) {
    throw Error("autograd: seed gradient " + grad_output.shape_string() + " for an output of " +
                value(output.id()).shape_string());
  }
  if (!requires_grad(output.id())) throw Error("autograd: the output depends on no parameter");
}

template <class T>
void Tape<T>::backward(Var<T> output, const Tensor<T>& grad_output) {
  check_output(output, grad_output);
  Tensor<T> seed = uninitialized(grad_output.rows(), grad_output.cols());
  const std::int64_t n = std::int64_t(seed.size());
  const T* __restrict from = grad_output.data();
  T* __restrict to = seed.data();
#pragma omp parallel for simd schedule(static)
  for (std::int64_t k = 0; k < n; ++k) to[k] = from[k];
  backward(output, std::move(seed));
}

template <class T>
void Tape<T>::backward(Var<T> output, Tensor<T>&& grad_output) {
  check_output(output, grad_output);
  Node& node = nodes_[output.id()];
  if (node.grad == nullptr) {
    node.owned_grad = std::move(grad_output);
    node.grad = &node.owned_grad;
  } else {
    accumulate_grad(output.id(), grad_output);
  }
  run_backward(output.id());
}

template <class T>
void Tape<T>::run_backward(std::size_t output) {
  for (std::size_t id = output + 1; id-- > 0;) {
    Node& node = nodes_[id];
    if (node.backward && node.grad != nullptr) {
      node.backward(*node.grad);
      // Only this op read its result's gradient; its buffer can serve the
      // gradients still to come.
      node.owned_grad = Tensor<T>();
      node.grad = nullptr;
    }
  }
}

template class Tape<float>;
template class Tape<double>;

}  // namespace heed
