#include "heed/kernels/embedding.hpp"

#include <string>
#include <vector>

#include "heed/error.hpp"

namespace heed::kernels {

void check_ids(std::span<const std::int32_t> ids, std::int64_t rows, const char* op) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= rows) {
      throw Error(std::string(op) + ": id " + std::to_string(ids[i]) + " at row " +
                  std::to_string(i) + " is outside the table's " + std::to_string(rows) + " rows");
    }
  }
}

template <class T>
void gather_rows(std::span<const T> table, int width, std::span<const std::int32_t> ids,
                 std::span<T> out) {
  const std::size_t w = std::size_t(width);
  const std::int64_t n = std::int64_t(ids.size());
#pragma omp parallel for schedule(static) if (n * width > 1 << 15)
  for (std::int64_t i = 0; i < n; ++i) {
    const T* src = table.data() + std::size_t(ids[std::size_t(i)]) * w;
    T* dst = out.data() + std::size_t(i) * w;
    for (std::size_t c = 0; c < w; ++c) dst[c] = src[c];
  }
}

template <class T>
void scatter_add_rows(std::span<const T> grad_out, int width, std::span<const std::int32_t> ids,
                      std::span<T> grad_table) {
  const std::size_t w = std::size_t(width);
  const std::size_t rows = w == 0 ? 0 : grad_table.size() / w;
  // starts[v] .. starts[v + 1]: the occurrences of id v, in index order.
  std::vector<std::int64_t> starts(rows + 1, 0);
  for (std::int32_t id : ids) ++starts[std::size_t(id) + 1];
  for (std::size_t v = 0; v < rows; ++v) starts[v + 1] += starts[v];
  std::vector<std::int64_t> order(ids.size());
  std::vector<std::int64_t> next(starts.begin(), starts.end() - 1);
  for (std::size_t i = 0; i < ids.size(); ++i) order[std::size_t(next[std::size_t(ids[i])]++)] = i;
  const std::int64_t v_count = std::int64_t(rows);
#pragma omp parallel for schedule(dynamic, 64) if (std::int64_t(ids.size()) * width > 1 << 15)
  for (std::int64_t v = 0; v < v_count; ++v) {
    T* dst = grad_table.data() + std::size_t(v) * w;
    for (std::int64_t k = starts[std::size_t(v)]; k < starts[std::size_t(v) + 1]; ++k) {
      const T* src = grad_out.data() + std::size_t(order[std::size_t(k)]) * w;
      for (std::size_t c = 0; c < w; ++c) dst[c] += src[c];
    }
  }
}

#define HEED_INSTANTIATE(T)                                                                 \
  template void gather_rows<T>(std::span<const T>, int, std::span<const std::int32_t>,      \
                               std::span<T>);                                               \
  template void scatter_add_rows<T>(std::span<const T>, int, std::span<const std::int32_t>, \
                                    std::span<T>);
HEED_INSTANTIATE(float)
HEED_INSTANTIATE(double)
#undef HEED_INSTANTIATE

}  // namespace heed::kernels
