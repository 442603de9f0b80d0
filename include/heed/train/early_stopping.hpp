#pragma once
// Early stopping and model selection on the validation part. By default the
// GAT paper's rule (its code): an epoch that reaches a new best validation
// score OR a new lowest validation loss resets the patience counter; the
// model is kept only when an epoch is at least as good on BOTH at once.
// Training stops after `patience` epochs in a row that improve neither. By
// the loss alone, or by a score alone, an epoch at least as good as the best
// keeps the model and resets the counter.
//
// Scores are higher-is-better; a metric where lower is better (RMSE) is
// passed negated.
namespace heed::train {

class EarlyStopping {
 public:
  enum class Rule { kLossAndScore, kLoss, kScore };

  explicit EarlyStopping(int patience, Rule rule = Rule::kLossAndScore);

  struct Decision {
    bool keep_model = false;  // snapshot the parameters of this epoch
    bool stop = false;        // patience ran out
  };
  Decision update(double val_loss, double val_score);

  int patience() const { return patience_; }
  int epochs_without_improvement() const { return bad_epochs_; }
  double best_loss() const { return best_loss_; }
  double best_score() const { return best_score_; }

  /// Continues from a saved point: epochs without improvement and the bests.
  void restore(int epochs_without_improvement, double best_loss, double best_score) {
    bad_epochs_ = epochs_without_improvement;
    best_loss_ = best_loss;
    best_score_ = best_score;
  }

 private:
  int patience_;
  Rule rule_;
  int bad_epochs_ = 0;
  double best_loss_;
  double best_score_;
};

}  // namespace heed::train
