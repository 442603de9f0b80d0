#pragma once
// Multi-head self-attention on dense N x N score matrices, as a transformer
// computes it: products through BLAS, the row softmax in kernels/.
// Every op here has a finite-difference test in double (tests/autograd).
#include <cstdint>
#include <memory>
#include <vector>

#include "heed/autograd/tape.hpp"
#include "heed/tensor/tensor_pool.hpp"

namespace heed::ops {

/// The same on dense N x N score matrices through BLAS, as a transformer
/// computes it. `mask` (N * N, row i = query i, column j = key j; nonzero:
/// allowed), if set, hides the other pairs; a row with nothing allowed gets
/// zeros. `attention_out` receives the (H * N) x N attention matrices, head
/// by head. `pool`, if set, lends the N x N buffers (kept for backward, and
/// scratch), so that a model reuses them from step to step.
template <class T>
Var<T> dense_attention(Var<T> q, Var<T> k, Var<T> v, int heads,
                       std::shared_ptr<const std::vector<std::uint8_t>> mask = nullptr,
                       Tensor<T>* attention_out = nullptr,
                       std::shared_ptr<TensorPool<T>> pool = nullptr);

}  // namespace heed::ops
