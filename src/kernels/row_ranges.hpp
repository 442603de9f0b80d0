#pragma once
// How heed's sparse kernels split work between threads: each thread takes a
// contiguous range of CSR rows holding about the same number of edges
// (power-law graphs put most edges in a few rows), and writes only the output
// rows it owns, so no atomics are needed and every sum runs in a fixed order
// whatever the thread count.
#include <omp.h>

#include <span>
#include <vector>

#include "heed/graph/graph.hpp"

namespace heed::kernels {

/// Runs body(row_begin, row_end) once on each thread of a parallel region.
template <class Body>
void for_row_ranges(std::span<const EdgeId> indptr, Body&& body) {
#pragma omp parallel
  {
    const int parts = omp_get_num_threads();
    // Computed by every thread: a scan is cheap and saves a barrier.
    const std::vector<std::int64_t> bounds = partition_rows_by_edges(indptr, parts);
    const int t = omp_get_thread_num();
    body(bounds[std::size_t(t)], bounds[std::size_t(t) + 1]);
  }
}

}  // namespace heed::kernels
