#include "heed/autograd/ops/embedding.hpp"

#include <memory>
#include <vector>

#include "heed/kernels/embedding.hpp"

namespace heed::ops {

template <class T>
Var<T> embedding(Var<T> table, std::span<const std::int32_t> ids) {
  Tape<T>& tape = table.tape();
  const Tensor<T>& tv = table.value();
  kernels::check_ids(ids, std::int64_t(tv.rows()), "embedding");
  const int width = int(tv.cols());
  Tensor<T> out = tape.uninitialized(ids.size(), tv.cols());
  kernels::gather_rows<T>(tv.values(), width, ids, out.values());
  auto kept = std::make_shared<const std::vector<std::int32_t>>(ids.begin(), ids.end());
  const std::size_t it = table.id();
  return tape.record(
      std::move(out), table.requires_grad(), [&tape, it, kept, width](const Tensor<T>& g) {
        kernels::scatter_add_rows<T>(g.values(), width, *kept, tape.grad(it).values());
      });
}

template Var<float> embedding<float>(Var<float>, std::span<const std::int32_t>);
template Var<double> embedding<double>(Var<double>, std::span<const std::int32_t>);

}  // namespace heed::ops
