#include "heed_app.hpp"

#include <fmt/core.h>

#include "heed/tensor/blas.hpp"

namespace heed::cli {

std::string version_text() {
#if defined(__clang__)
  const std::string compiler =
      fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  const std::string compiler = fmt::format("g++ {}", __VERSION__);
#else
  const std::string compiler = "an unknown compiler";
#endif
  return fmt::format(
      "heed {}\nbuild: {}, C++{}, {} build{}\nBLAS: OpenBLAS ({}), {} kernels\nOpenMP: {} threads",
      HEED_VERSION, compiler, __cplusplus / 100 % 100, HEED_BUILD_TYPE,
      HEED_NATIVE_BUILD ? ", -march=native" : "", blas_threading(), blas_core(), num_threads());
}

HeedApp::HeedApp() {
  app_.set_version_flag(
      "--version", [] { return version_text(); },
      "Print the version and the build (compiler, BLAS kernels, threads)");
  app_.require_subcommand(1);
  train_command_ = add_train_command(app_, train_);
  bench_command_ = add_bench_command(app_, bench_);
  eval_command_ = add_eval_command(app_, eval_);
  attention_command_ = add_attention_command(app_, attention_);
  explain_command_ = add_explain_command(app_, explain_);
  experiment_command_ = add_experiment_command(app_, experiment_);
  predict_command_ = add_predict_command(app_, predict_);
  import_command_ = add_import_command(app_, import_);
  export_command_ = add_export_command(app_, export_);
  data_command_ = add_data_command(app_, data_);
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
  if (predict_command_->parsed()) return run_predict(predict_);
  if (import_command_->parsed()) return run_import(import_);
  if (export_command_->parsed()) return run_export(export_);
  if (data_command_->parsed()) return run_data(*data_command_, data_);
  return 0;
}

}  // namespace heed::cli
