#include "heed/train/early_stopping.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "heed/error.hpp"

namespace heed::train {

EarlyStopping::EarlyStopping(int patience)
    : patience_(patience), best_loss_(std::numeric_limits<double>::infinity()) {
  if (patience < 1)
    throw Error("early stopping: patience must be >= 1, got " + std::to_string(patience));
}

EarlyStopping::Decision EarlyStopping::update(double val_loss, double val_acc) {
  Decision d;
  const bool better_acc = val_acc >= best_acc_;
  const bool better_loss = val_loss <= best_loss_;
  if (better_acc || better_loss) {
    d.keep_model = better_acc && better_loss;
    best_acc_ = std::max(best_acc_, val_acc);
    best_loss_ = std::min(best_loss_, val_loss);
    bad_epochs_ = 0;
  } else if (++bad_epochs_ >= patience_) {
    d.stop = true;
  }
  return d;
}

}  // namespace heed::train
