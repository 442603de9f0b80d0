#include "heed/download/zip_archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "heed/error.hpp"

namespace heed::download {

std::vector<std::string> extract_zip(const std::filesystem::path& zip,
                                     const std::filesystem::path& folder,
                                     const std::function<bool(const std::string&)>& wanted,
                                     std::uint64_t max_member_bytes) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  if (!a) throw Error(zip.string() + ": libarchive could not start reading");
  archive_read_support_format_zip(a.get());
  auto fail = [&](const std::string& problem) -> Error {
    const char* why = archive_error_string(a.get());
    return Error(zip.string() + ": " + problem + (why ? std::string(": ") + why : std::string()));
  };
  if (archive_read_open_filename(a.get(), zip.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw fail("not a zip archive heed can open");
  }
  std::vector<std::string> written;
  archive_entry* entry = nullptr;
  while (true) {
    const int status = archive_read_next_header(a.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) throw fail("a damaged or truncated zip");
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    const char* path = archive_entry_pathname(entry);
    const std::string name = std::filesystem::path(path ? path : "").filename().string();
    if (name.empty() || name == "." || name == ".." || !wanted(name)) continue;
    if (std::find(written.begin(), written.end(), name) != written.end()) {
      throw Error(zip.string() + ": two members are named " + name);
    }
    const std::filesystem::path out = folder / name;
    std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(out.c_str(), "wb"),
                                                            std::fclose);
    if (!file)
      throw Error(out.string() + ": cannot create it to extract " + zip.string() + "'s " + name);
    std::uint64_t total = 0;
    char buffer[1 << 16];
    while (true) {
      const la_ssize_t n = archive_read_data(a.get(), buffer, sizeof buffer);
      if (n < 0) throw fail("cannot extract " + name + " (a damaged or truncated zip)");
      if (n == 0) break;
      total += std::uint64_t(n);
      if (total > max_member_bytes) {
        throw Error(zip.string() + ": " + name + " is larger than " +
                    std::to_string(max_member_bytes) + " bytes");
      }
      if (std::fwrite(buffer, 1, std::size_t(n), file.get()) != std::size_t(n)) {
        throw Error(out.string() + ": cannot write (disk full?)");
      }
    }
    if (std::fflush(file.get()) != 0) throw Error(out.string() + ": cannot write (disk full?)");
    written.push_back(name);
  }
  return written;
}

}  // namespace heed::download
