#pragma once
// Buffers that a layer needs afresh at every training step (GAT's E x H
// attention coefficients) but whose size does not change from step to step.
// Mapping and faulting in such a buffer each step costs more than the kernel
// that fills it on a VM, so the layer keeps a pool of them: acquire() hands
// out a free buffer of the right shape, or a new one, and the buffer returns
// to the pool when its last user lets go (a tape that has run backward, say).
// Two tapes alive at once simply hold two buffers. The pool is owned by its
// layer; nothing here is global.
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "heed/tensor/tensor.hpp"

namespace heed {

template <class T>
class TensorPool : public std::enable_shared_from_this<TensorPool<T>> {
 public:
  /// At most `keep` free buffers are kept; more are freed when returned.
  explicit TensorPool(std::size_t keep = 2) : keep_(keep) {}

  /// A rows x cols tensor whose contents are undefined (a returned buffer's
  /// old values, or zeros when new).
  std::shared_ptr<Tensor<T>> acquire(std::size_t rows, std::size_t cols) {
    Tensor<T> tensor;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (std::size_t k = 0; k < free_.size(); ++k) {
        if (free_[k].rows() == rows && free_[k].cols() == cols) {
          tensor = std::move(free_[k]);
          free_.erase(free_.begin() + std::ptrdiff_t(k));
          break;
        }
      }
    }
    if (tensor.empty() && rows * cols > 0) tensor = Tensor<T>(rows, cols);
    auto lease = std::make_shared<Lease>(std::move(tensor), this->weak_from_this());
    return std::shared_ptr<Tensor<T>>(lease, &lease->tensor);  // shares the lease's lifetime
  }

  std::size_t free_buffers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.size();
  }

 private:
  // Holds a buffer while it is in use and returns it to the pool, if the
  // pool still exists, when the last user lets go.
  struct Lease {
    Lease(Tensor<T>&& t, std::weak_ptr<TensorPool> h) : tensor(std::move(t)), home(std::move(h)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (auto pool = home.lock()) pool->give_back(std::move(tensor));
    }
    Tensor<T> tensor;
    std::weak_ptr<TensorPool> home;
  };

  void give_back(Tensor<T>&& tensor) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < keep_ && !tensor.empty()) free_.push_back(std::move(tensor));
  }

  std::size_t keep_;
  std::mutex mutex_;
  std::vector<Tensor<T>> free_;
};

}  // namespace heed
