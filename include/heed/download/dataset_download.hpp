#pragma once
// `heed data download`: a public dataset fetched by name into the cache,
// checked and converted, appearing whole or not at all.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace heed::download {

struct DownloadOptions {
  /// The cache; empty: data::dataset_cache_folder() ($HEED_DATA, else
  /// ~/.cache/heed).
  std::filesystem::path cache;
  /// Replaces the dataset's usual base URL (a mirror, or a local server in
  /// tests); empty: the usual one.
  std::string base_url;
  /// Fetch again even if the dataset is already in the cache.
  bool force = false;
  /// Told each step ("fetching URL", bytes so far); may be empty.
  std::function<void(const std::string&)> progress;
};

struct DownloadedFile {
  std::string path;  // relative to the dataset's folder
  std::string sha256;
  bool pinned = false;  // whether heed checked it against a known checksum
};

struct DownloadResult {
  std::string name;
  std::filesystem::path folder;
  bool fetched = false;  // false: it was already in the cache
  std::vector<std::string> urls;
  std::vector<DownloadedFile> files;
};

/// Fetches the dataset `name` (see dataset_catalogue.hpp) into
/// <cache>/<name>: downloads into a hidden folder beside it, extracts and
/// converts, checks every pinned checksum, reads the result with heed's own
/// reader, writes SHA256SUMS, and only then renames the folder into place. A
/// failure anywhere (no connection, HTTP error, a damaged archive, a checksum
/// that differs, a file heed's reader rejects) throws heed::Error saying
/// which and leaves no folder behind, nor changes one already there.
DownloadResult download_dataset(const std::string& name, const DownloadOptions& options = {});

}  // namespace heed::download
