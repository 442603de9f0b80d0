#include "heed_app.hpp"

namespace heed::cli {

HeedApp::HeedApp() {
  app_.require_subcommand(1);
  train_command_ = add_train_command(app_, train_);
  bench_command_ = add_bench_command(app_, bench_);
  eval_command_ = add_eval_command(app_, eval_);
  attention_command_ = add_attention_command(app_, attention_);
  explain_command_ = add_explain_command(app_, explain_);
  experiment_command_ = add_experiment_command(app_, experiment_);
}

void HeedApp::parse(int argc, const char* const* argv) {
  app_.parse(argc, argv);
}

int HeedApp::run(const std::string& executable) {
  if (train_command_->parsed()) return run_train(train_);
  if (bench_command_->parsed()) return run_bench(bench_, executable);
  if (eval_command_->parsed()) return run_eval(eval_);
  if (attention_command_->parsed()) return run_attention(attention_);
  if (explain_command_->parsed()) return run_explain(explain_);
  if (experiment_command_->parsed()) return run_experiment(*experiment_command_, experiment_);
  return 0;
}

}  // namespace heed::cli
