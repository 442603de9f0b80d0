#include "heed/train/early_stopping.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "heed/error.hpp"

namespace heed::train {

EarlyStopping::EarlyStopping(int patience, Rule rule)
    : patience_(patience),
      rule_(rule),
      best_loss_(std::numeric_limits<double>::infinity()),
      best_score_(-std::numeric_limits<double>::infinity()) {
  if (patience < 1)
    throw Error("early stopping: patience must be >= 1, got " + std::to_string(patience));
}

EarlyStopping::Decision EarlyStopping::update(double val_loss, double val_score) {
  Decision d;
  const bool better_score = val_score >= best_score_;
  const bool better_loss = val_loss <= best_loss_;
  const bool improved = rule_ == Rule::kLossAndScore ? better_score || better_loss
                        : rule_ == Rule::kLoss       ? better_loss
                                                     : better_score;
  if (improved) {
    d.keep_model = rule_ == Rule::kLossAndScore ? better_score && better_loss : true;
    best_score_ = std::max(best_score_, val_score);
    best_loss_ = std::min(best_loss_, val_loss);
    bad_epochs_ = 0;
  } else if (++bad_epochs_ >= patience_) {
    d.stop = true;
  }
  return d;
}

}  // namespace heed::train
