#include "memory_bandwidth.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

#include "run_timer.hpp"

namespace heed::bench {

TriadResult stream_triad(double array_mib, int repeats) {
  const std::int64_t n = std::int64_t(array_mib * 1024 * 1024 / sizeof(double));
  auto a = std::make_unique_for_overwrite<double[]>(std::size_t(n));
  auto b = std::make_unique_for_overwrite<double[]>(std::size_t(n));
  auto c = std::make_unique_for_overwrite<double[]>(std::size_t(n));
  // First touch by the same static schedule as the triad, so pages sit near
  // the threads that use them.
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
  const double s = 3.0;
  RunTimes t = time_runs(1, repeats, [&] {
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      a[i] = b[i] + s * c[i];
    }
  });
  const double bytes = 3.0 * sizeof(double) * double(n);
  // Keeps the compiler from dropping the loop as dead.
  volatile double sink = a[n / 2];
  (void)sink;
  return {bytes / (t.min_ms * 1e-3) / 1e9, array_mib};
}

}  // namespace heed::bench
