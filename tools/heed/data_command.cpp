#include "data_command.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "heed/data/dataset.hpp"
#include "heed/download/dataset_catalogue.hpp"
#include "heed/download/dataset_download.hpp"

namespace heed::cli {

CLI::App* add_data_command(CLI::App& app, DataConfig& c) {
  CLI::App* data = app.add_subcommand("data", "Public datasets by name: fetch them, list them");
  data->require_subcommand(1);
  CLI::App* download = data->add_subcommand(
      "download",
      "Fetch datasets from their usual public URLs into the cache ($HEED_DATA, else "
      "~/.cache/heed), check their checksums and convert them; --data NAME then finds them");
  download->add_option("names", c.names, "Dataset names (heed data list shows them)")->required();
  download->add_option("--cache", c.cache,
                       "Cache folder (default: $HEED_DATA, else ~/.cache/heed)");
  download->add_option("--base-url", c.base_url,
                       "Fetch from this URL instead of each dataset's usual one (a mirror)");
  download->add_flag("--force", c.force, "Fetch again even if the dataset is in the cache");
  download->add_flag("--json", c.json, "Write what was fetched as JSON to stdout");
  CLI::App* list = data->add_subcommand("list", "The datasets heed data download knows");
  list->add_option("--cache", c.cache, "Cache folder (default: $HEED_DATA, else ~/.cache/heed)");
  list->add_flag("--json", c.json, "Write the list as JSON to stdout");
  return data;
}

namespace {

std::filesystem::path cache_of(const DataConfig& c) {
  return c.cache.empty() ? data::dataset_cache_folder() : std::filesystem::path(c.cache);
}

int run_list(const DataConfig& c) {
  const std::filesystem::path cache = cache_of(c);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const download::CatalogueEntry& e : download::dataset_catalogue()) {
    std::error_code ec;
    const bool cached = !cache.empty() && std::filesystem::is_directory(cache / e.name, ec);
    if (c.json) {
      rows.push_back({{"name", e.name},
                      {"description", e.description},
                      {"cached", cached},
                      {"pinned", !e.pinned.empty()}});
    } else {
      fmt::print("{:<10} {}{}\n", e.name, e.description, cached ? " [in the cache]" : "");
    }
  }
  if (c.json) {
    std::puts(
        nlohmann::ordered_json{{"cache", cache.string()}, {"datasets", rows}}.dump(2).c_str());
  } else {
    fmt::print(
        "tu:NAME    any other TUDataset by its name (not pinned by a checksum)\n"
        "cache: {}\n",
        cache.string());
  }
  return 0;
}

int run_download(const DataConfig& c) {
  download::DownloadOptions options;
  options.cache = c.cache;
  options.base_url = c.base_url;
  options.force = c.force;
  // Progress on a terminal only: a pipe or a log file gets the results alone.
  if (::isatty(STDERR_FILENO)) {
    options.progress = [](const std::string& line) { fmt::print(stderr, "\r\033[K{}", line); };
  }
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const std::string& name : c.names) {
    const download::DownloadResult r = download::download_dataset(name, options);
    if (options.progress) fmt::print(stderr, "\r\033[K");
    std::size_t pinned = 0;
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const download::DownloadedFile& f : r.files) {
      pinned += f.pinned;
      files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"pinned", f.pinned}});
    }
    if (c.json) {
      results.push_back({{"name", r.name},
                         {"folder", r.folder.string()},
                         {"fetched", r.fetched},
                         {"urls", r.urls},
                         {"files", files}});
    } else if (!r.fetched) {
      fmt::print("{}: already in {} (heed data download --force {} fetches it again)\n", r.name,
                 r.folder.string(), name);
    } else if (pinned) {
      fmt::print("{}: fetched into {}; {} files, {} of them checked against known checksums\n",
                 r.name, r.folder.string(), r.files.size(), pinned);
    } else {
      fmt::print(
          "{}: fetched into {}; {} files; no checksums are known for {}, so they are only "
          "recorded (SHA256SUMS)\n",
          r.name, r.folder.string(), r.files.size(), r.name);
    }
  }
  if (c.json) std::puts(nlohmann::ordered_json{{"datasets", results}}.dump(2).c_str());
  return 0;
}

}  // namespace

int run_data(const CLI::App& command, const DataConfig& c) {
  if (command.got_subcommand("list")) return run_list(c);
  return run_download(c);
}

}  // namespace heed::cli
