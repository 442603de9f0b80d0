#pragma once
// Wall-clock timing of repeated runs: warm-ups first (first-touch page faults,
// caches, thread start-up), then the median, minimum and maximum of the rest.
#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace heed::bench {

struct RunTimes {
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  int repeats = 0;
};

/// Times run(prepare()) and leaves prepare() out of the time: what a run
/// takes as given, as a peer's benchmark takes a tensor made once.
template <class Prepare, class Run>
RunTimes time_prepared_runs(int warmups, int repeats, Prepare&& prepare, Run&& run) {
  using Clock = std::chrono::steady_clock;
  for (int w = 0; w < warmups; ++w) run(prepare());
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    auto input = prepare();
    const auto start = Clock::now();
    run(std::move(input));
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  const std::size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  return {median, ms.front(), ms.back(), repeats};
}

template <class Run>
RunTimes time_runs(int warmups, int repeats, Run&& run) {
  return time_prepared_runs(
      warmups, repeats, [] { return 0; }, [&](int) { run(); });
}

}  // namespace heed::bench
