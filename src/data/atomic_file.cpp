#include "heed/data/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "heed/error.hpp"

namespace heed::data {
namespace {

std::string reason() {
  return std::strerror(errno);
}

// The rename is durable only once the folder's entry is on disk too.
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: the data itself is already synced
  ::fsync(fd);
  ::close(fd);
}

// mkstemp makes files only the owner can read; a file heed writes should get
// the permissions any new file would: those of the file it replaces, else
// 0666 less the umask. The umask is read from /proc, since umask() can only
// read it by changing it for the whole process.
mode_t new_file_mode(const std::filesystem::path& path) {
  struct stat existing;
  if (::stat(path.c_str(), &existing) == 0) return existing.st_mode & 07777;
  mode_t mask = 022;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      mask = mode_t(std::stoul(line.substr(6), nullptr, 8));
      break;
    }
  }
  return 0666 & ~mask;
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.empty()) throw Error("cannot write a file with an empty name");
  const std::filesystem::path folder = path_.parent_path();
  // A hidden name in the same folder, so the rename stays on one file system.
  std::string hidden = ".";
  hidden += path_.filename().string();
  hidden += ".tmp-XXXXXX";
  const std::string pattern = (folder / hidden).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw Error(path_.string() + ": cannot create a temporary file in '" +
                (folder.empty() ? std::string(".") : folder.string()) + "': " + reason());
  }
  temporary_ = name.data();
  ::fchmod(fd, new_file_mode(path_));
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    ::close(fd);
    std::filesystem::remove(temporary_);
    throw Error(path_.string() + ": cannot open a temporary file: " + reason());
  }
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temporary_, ec);
  }
}

void AtomicFile::write(std::string_view bytes) {
  if (file_ == nullptr) throw Error(path_.string() + ": write after commit");
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    throw Error(path_.string() + ": write failed: " + reason());
  }
}

void AtomicFile::commit() {
  if (file_ == nullptr) throw Error(path_.string() + ": committed twice");
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const std::string why = flushed ? "" : reason();
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    throw Error(path_.string() +
                ": could not write the file out: " + (why.empty() ? reason() : why));
  }
  std::error_code ec;
  std::filesystem::rename(temporary_, path_, ec);
  if (ec) throw Error(path_.string() + ": could not replace the file: " + ec.message());
  committed_ = true;
  sync_folder(path_.parent_path());
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace heed::data
