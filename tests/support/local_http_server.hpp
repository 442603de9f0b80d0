#pragma once
// A local HTTP server for the download tests: Python's http.server serving a
// folder on 127.0.0.1 at a port the system picks, started with the test and
// stopped with it. The machine that runs the tests has no internet; this is
// how heed data download is tested end to end.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/test_python.hpp"

namespace heed::testing {

class LocalHttpServer {
 public:
  /// Serves `root`; started() is false when Python could not be started (the
  /// tests then skip).
  explicit LocalHttpServer(const std::filesystem::path& root) {
    port_file_ = root.parent_path() / (root.filename().string() + ".port");
    std::filesystem::remove(port_file_);
    const std::string script =
        "import functools, http.server, os, sys\n"
        "class Quiet(http.server.SimpleHTTPRequestHandler):\n"
        "    def log_message(self, *args): pass\n"
        "handler = functools.partial(Quiet, directory=sys.argv[1])\n"
        "server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n"
        "with open(sys.argv[2] + '.tmp', 'w') as f: f.write(str(server.server_address[1]))\n"
        "os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n"
        "server.serve_forever()\n";
    const std::string python = test_python();
    const std::string root_arg = root.string(), port_arg = port_file_.string();
    const char* argv[] = {python.c_str(),   "-c",   script.c_str(), root_arg.c_str(),
                          port_arg.c_str(), nullptr};
    if (posix_spawnp(&pid_, python.c_str(), nullptr, nullptr, const_cast<char* const*>(argv),
                     environ) != 0) {
      pid_ = -1;
      return;
    }
    for (int k = 0; k < 200 && !std::filesystem::exists(port_file_); ++k) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // it exited: no Python, or no http.server
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream in(port_file_);
    in >> port_;
  }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;
  ~LocalHttpServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove(port_file_, ec);
  }

  bool started() const { return pid_ > 0 && port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::filesystem::path port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace heed::testing
