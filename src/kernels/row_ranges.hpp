#pragma once
// How heed's sparse kernels split work between threads: contiguous ranges of
// CSR rows holding about the same number of edges (power-law graphs put most
// edges in a few rows); the thread running a range writes only that range's
// output rows, so no atomics are needed and every sum runs in a fixed order
// whatever the thread count.
#include <omp.h>

#include <algorithm>
#include <span>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::kernels {

/// Runs body(row_begin, row_end) over ranges that cover every row once. The
/// rows are cut into a few ranges per thread, of about equal edge counts, and
/// handed out as threads come free: on a shared machine one thread is often
/// descheduled for a while, and fixed shares would leave the others waiting
/// for it. Which thread runs a range never changes what the range computes.
template <class Body>
void for_row_ranges(std::span<const EdgeId> indptr, Body&& body) {
  const std::int64_t rows = indptr.empty() ? 0 : std::int64_t(indptr.size()) - 1;
  const int threads = omp_get_max_threads();
  if (threads <= 1 || rows < 2) {
    body(std::int64_t(0), rows);
    return;
  }
  // Enough ranges to rebalance, few enough that each amortises its start,
  // and a whole number per thread: on a small graph (Cora: 3 ranges of
  // work) one thread would otherwise run two while the other waits.
  const EdgeId work = indptr.back() + rows;
  const int wanted = int(std::clamp<EdgeId>(work / 4096, threads, 8 * threads));
  const int ranges = (wanted + threads - 1) / threads * threads;
  const std::vector<std::int64_t> bounds = partition_rows_by_edges(indptr, ranges);
#pragma omp parallel for schedule(dynamic, 1)
  for (int r = 0; r < ranges; ++r) body(bounds[std::size_t(r)], bounds[std::size_t(r) + 1]);
}

}  // namespace heed::kernels
