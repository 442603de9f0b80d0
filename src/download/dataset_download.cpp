#include "heed/download/dataset_download.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "heed/data/atomic_file.hpp"
#include "heed/data/dataset.hpp"
#include "heed/data/graph_dataset.hpp"
#include "heed/data/node_dataset_files.hpp"
#include "heed/data/planetoid.hpp"
#include "heed/download/dataset_catalogue.hpp"
#include "heed/download/http_download.hpp"
#include "heed/download/sha256.hpp"
#include "heed/download/zip_archive.hpp"
#include "heed/error.hpp"

namespace heed::download {
namespace fs = std::filesystem;
namespace {

std::string known_names() {
  std::string names;
  for (const CatalogueEntry& e : dataset_catalogue()) names += (names.empty() ? "" : ", ") + e.name;
  return names + ", or tu:NAME for any TUDataset";
}

// A folder the download is built in, removed unless it was moved into place.
class StagingFolder {
 public:
  StagingFolder(const fs::path& cache, const std::string& name) {
    remove_abandoned(cache, name);
    path_ = cache / ("." + name + ".download-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (!fs::create_directories(path_, ec) || ec) {
      throw Error(path_.string() + ": cannot create the folder to download into: " + ec.message());
    }
  }
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;
  ~StagingFolder() {
    std::error_code ec;
    if (!kept_) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void kept() { kept_ = true; }

 private:
  // A download that was killed leaves its hidden folder; one whose process
  // is gone is removed, so the cache does not fill with halves.
  static void remove_abandoned(const fs::path& cache, const std::string& name) {
    const std::string prefix = "." + name + ".download-";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cache, ec)) {
      const std::string file = entry.path().filename().string();
      if (file.rfind(prefix, 0) != 0) continue;
      const std::string pid = file.substr(prefix.size());
      if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
      if (::kill(pid_t(std::stol(pid)), 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
    }
  }
  fs::path path_;
  bool kept_ = false;
};

std::vector<std::string> files_under(const fs::path& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file())
      files.push_back(fs::relative(entry.path(), folder).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

DownloadResult download_into_cache(const std::string& name, const DownloadOptions& options) {
  const std::optional<CatalogueEntry> found = find_dataset(name);
  if (!found) {
    throw Error("heed data download: no dataset named \"" + name + "\" (heed knows " +
                known_names() + ")");
  }
  const CatalogueEntry& entry = *found;
  const fs::path cache = options.cache.empty() ? data::dataset_cache_folder() : options.cache;
  if (cache.empty()) throw Error("heed data download: no cache folder: set HEED_DATA or HOME");
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };

  DownloadResult result;
  result.name = entry.name;
  result.folder = cache / entry.name;
  std::error_code ec;
  if (fs::exists(result.folder, ec) && !options.force) {
    for (const std::string& f : files_under(result.folder)) result.files.push_back({f, "", false});
    return result;
  }
  fs::create_directories(cache, ec);
  if (ec) throw Error(cache.string() + ": cannot create the dataset cache: " + ec.message());

  StagingFolder staging(cache, entry.name);
  const fs::path raw = staging.path() / ".raw";
  fs::create_directories(raw);
  std::string base = options.base_url.empty() ? entry.base_url : options.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto fetch = [&](const std::string& file) {
    const std::string url = base + "/" + file;
    say("fetching " + url);
    // libcurl reports many times a second; a line per whole percent is enough.
    std::uint64_t shown = 101;
    download_url(url, raw / file, [&](std::uint64_t got, std::uint64_t total) {
      const std::uint64_t percent = total ? got * 100 / total : 101;
      if (total && percent != shown) {
        shown = percent;
        say(file + ": " + std::to_string(percent) + " % of " + std::to_string(total) + " bytes");
      }
    });
    result.urls.push_back(url);
    return raw / file;
  };

  nlohmann::ordered_json meta = {{"name", entry.name}};
  switch (entry.format) {
    case SourceFormat::planetoid: {
      for (const char* part : {"x", "y", "tx", "ty", "allx", "ally", "graph", "test.index"}) {
        fetch("ind." + entry.remote_name + "." + part);
      }
      say("converting " + entry.remote_name + " from Planetoid's pickles");
      // write_node_dataset writes meta.json itself.
      data::write_node_dataset(data::read_planetoid(raw, entry.remote_name), staging.path());
      break;
    }
    case SourceFormat::tu_zip: {
      const fs::path zip = fetch(entry.remote_name + ".zip");
      const std::string prefix = entry.remote_name + "_";
      const std::vector<std::string> members =
          extract_zip(zip, staging.path(), [&](const std::string& f) {
            return (f.rfind(prefix, 0) == 0 && f.size() > 4 && f.substr(f.size() - 4) == ".txt") ||
                   f == "README.txt";
          });
      if (std::find(members.begin(), members.end(), prefix + "graph_indicator.txt") ==
          members.end()) {
        throw Error(zip.string() + " (from " + result.urls.back() + "): no " + prefix +
                    "graph_indicator.txt inside; not the TUDataset " + entry.remote_name);
      }
      break;
    }
    case SourceFormat::csv_file: {
      const fs::path csv = fetch(entry.remote_name);
      fs::rename(csv, staging.path() / entry.remote_name);
      if (!entry.target_column.empty()) meta["target_column"] = entry.target_column;
      break;
    }
  }
  fs::remove_all(raw);
  if (entry.format != SourceFormat::planetoid) {
    meta["source"] = result.urls;
    data::write_file_atomically(staging.path() / "meta.json", meta.dump(2) + "\n");
  }

  for (const auto& [file, expected] : entry.pinned) {
    const fs::path path = staging.path() / file;
    if (!fs::exists(path)) throw Error(entry.name + ": the download has no " + file);
    const std::string got = sha256_of_file(path);
    if (got != expected) {
      throw Error(entry.name + ": " + file + " has SHA-256 " + got + ", not the " + expected +
                  " heed knows; the files at " + base +
                  " are not the dataset heed expects, so "
                  "nothing was kept");
    }
  }
  // The converted folder must read back with heed's own readers: a server
  // that answers with something else fails here, not in a later training run.
  say("checking that heed reads " + entry.name);
  try {
    if (entry.format == SourceFormat::planetoid) {
      data::load_dataset(staging.path().string());
    } else {
      data::read_graph_dataset(staging.path());
    }
  } catch (const Error& e) {
    throw Error(entry.name + ": heed cannot read what " + base +
                " holds, so nothing was kept: " + e.what());
  }

  std::string sums;
  for (const std::string& f : files_under(staging.path())) {
    DownloadedFile file{f, sha256_of_file(staging.path() / f), false};
    for (const auto& pin : entry.pinned) file.pinned = file.pinned || pin.first == f;
    sums += file.sha256 + "  ./" + f + "\n";
    result.files.push_back(file);
  }
  data::write_file_atomically(staging.path() / "SHA256SUMS", sums);

  // Into place: an existing copy (with --force) is moved aside first and
  // removed only once the new one is there.
  const fs::path old = cache / ("." + entry.name + ".old-" + std::to_string(::getpid()));
  const bool replacing = fs::exists(result.folder, ec);
  if (replacing) fs::rename(result.folder, old);
  try {
    fs::rename(staging.path(), result.folder);
  } catch (const fs::filesystem_error& e) {
    if (replacing) fs::rename(old, result.folder, ec);
    throw Error(result.folder.string() + ": cannot move the download into place: " + e.what());
  }
  staging.kept();
  if (replacing) fs::remove_all(old, ec);
  result.fetched = true;
  return result;
}

}  // namespace

DownloadResult download_dataset(const std::string& name, const DownloadOptions& options) {
  try {
    return download_into_cache(name, options);
  } catch (const fs::filesystem_error& e) {
    // A full disk or a folder without write permission, with its path.
    throw Error("heed data download " + name + ": " + e.what());
  }
}

}  // namespace heed::download
