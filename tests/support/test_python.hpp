#pragma once
// Python for the tests that check heed against Python itself (its pickles,
// its HTTP server): the interpreter the build found, else python3 on the PATH.
#include <spawn.h>
#include <sys/wait.h>

#include <string>
#include <vector>

extern char** environ;

namespace heed::testing {

/// The Python the build found (HEED_TEST_PYTHON), else python3 on the PATH.
inline std::string test_python() {
#ifdef HEED_TEST_PYTHON
  return HEED_TEST_PYTHON;
#else
  return "python3";
#endif
}

/// Runs `python` with `args`; its exit status (-1 if it could not start).
inline int run_python(const std::vector<std::string>& args) {
  const std::string python = test_python();
  std::vector<const char*> argv{python.c_str()};
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, python.c_str(), nullptr, nullptr, const_cast<char* const*>(argv.data()),
                   environ) != 0) {
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace heed::testing
