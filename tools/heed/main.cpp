// The heed command-line tool.
#include <malloc.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "heed/error.hpp"
#include "heed/tensor/blas.hpp"
#include "heed_app.hpp"

namespace {

// This executable, for the bench suite to re-run: /proc/self/exe where
// there is one, else argv[0].
std::string executable_path(const char* argv0) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : self.string();
}

// OpenBLAS picks its kernels when it is loaded; on VMs that hide the CPU
// model it may fall back to SSE3 ones at half speed. The fix is an
// environment variable it reads at load time, so set it and start again.
void use_the_right_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user chose, or we did
  const std::string core = heed::better_blas_core();
  if (core.empty()) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then go on as we are
}

// Tensors under heed's own mapping threshold (4 MiB: the N x 64 gradients
// of a transformer, say) come from glibc, whose default gives each of them a
// fresh mapping that the kernel must fault in and zero (a 2 MiB huge page at
// a time) at every step: a third of a dense transformer's epoch on Cora.
// Keeping them on the heap lets freed blocks be reused instead.
void keep_mid_sized_blocks_on_the_heap() {
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  use_the_right_blas_kernels(argv);
  keep_mid_sized_blocks_on_the_heap();
  heed::cli::HeedApp heed;
  try {
    heed.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return heed.app().exit(e);
  }
  try {
    return heed.run(executable_path(argv[0]));
  } catch (const heed::Error& e) {
    std::fprintf(stderr, "heed: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heed: internal error: %s\n", e.what());
    return 2;
  }
}
