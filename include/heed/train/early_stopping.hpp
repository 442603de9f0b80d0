#pragma once
// Early stopping as in the GAT paper's code: an epoch that reaches a new best
// validation accuracy OR a new lowest validation loss resets the patience
// counter; the model is kept (checkpointed) only when an epoch is at least as
// good on BOTH at once. Training stops after `patience` epochs in a row that
// improve neither.
namespace heed::train {

class EarlyStopping {
 public:
  explicit EarlyStopping(int patience);

  struct Decision {
    bool keep_model = false;  // snapshot the parameters of this epoch
    bool stop = false;        // patience ran out
  };
  Decision update(double val_loss, double val_acc);

  int patience() const { return patience_; }
  int epochs_without_improvement() const { return bad_epochs_; }
  double best_loss() const { return best_loss_; }
  double best_accuracy() const { return best_acc_; }

  /// Continues from a saved point: epochs without improvement and the bests.
  void restore(int epochs_without_improvement, double best_loss, double best_accuracy) {
    bad_epochs_ = epochs_without_improvement;
    best_loss_ = best_loss;
    best_acc_ = best_accuracy;
  }

 private:
  int patience_;
  int bad_epochs_ = 0;
  double best_loss_;
  double best_acc_ = 0.0;
};

}  // namespace heed::train
