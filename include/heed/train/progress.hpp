#pragma once
// A one-line progress display for long training: run, epoch, loss,
// the validation metric and an estimate of the time left. It draws only when
// its stream is a terminal, so pipes and logs stay clean.
#include <chrono>
#include <cstdio>

#include "heed/train/trainer.hpp"

namespace heed::train {

class ProgressLine {
 public:
  /// `runs` is how many runs the job has; `options` bound a run's remaining epochs.
  ProgressLine(std::FILE* stream, int runs, const TrainOptions& options);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }
  /// Redraws the line for epoch `report` of run `run` (0-based), at most ten times a second.
  void update(int run, const EpochReport& report);
  /// Records that a run took `seconds`, for the estimate of the runs still to come.
  void run_finished(double seconds);
  /// Erases the line so other output starts on a clean row.
  void clear();

 private:
  std::FILE* stream_;
  bool enabled_;
  int runs_;
  int patience_;
  int max_epochs_;
  int runs_done_ = 0;
  double seconds_done_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace heed::train
