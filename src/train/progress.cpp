#include "heed/train/progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace heed::train {

ProgressLine::ProgressLine(std::FILE* stream, int runs, const TrainOptions& options)
    : stream_(stream),
      enabled_(stream && isatty(fileno(stream))),
      runs_(runs),
      patience_(options.patience),
      max_epochs_(options.max_epochs) {}

ProgressLine::~ProgressLine() {
  clear();
}

void ProgressLine::update(int run, const EpochReport& r) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  // This run ends within `patience - bad` epochs unless validation improves,
  // and at max_epochs in any case; later runs are assumed to take as long as
  // the finished ones did.
  const double per_epoch = r.seconds / std::max(1, r.epoch);
  const int epochs_left =
      std::max(0, std::min(patience_ - r.epochs_without_improvement, max_epochs_ - r.epoch));
  const double this_run = per_epoch * double(epochs_left);
  const double per_run = runs_done_ > 0 ? seconds_done_ / runs_done_ : r.seconds + this_run;
  const double left = this_run + per_run * double(std::max(0, runs_ - run - 1));
  std::fprintf(
      stream_, "\r\033[Krun %d/%d  epoch %5d  loss %.4f  val loss %.4f  val %s %.4f  ~%.0fs left",
      run + 1, runs_, r.epoch, r.train_loss, r.val_loss, r.metric.c_str(), r.val_metric, left);
  std::fflush(stream_);
  drawn_ = true;
}

void ProgressLine::run_finished(double seconds) {
  ++runs_done_;
  seconds_done_ += seconds;
}

void ProgressLine::clear() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\033[K", stream_);
  std::fflush(stream_);
  drawn_ = false;
}

}  // namespace heed::train
