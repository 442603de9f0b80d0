#include "heed/data/text_dataset.hpp"

#include <optional>
#include <string>

#include "csv_record.hpp"
#include "gzip_line_reader.hpp"
#include "heed/error.hpp"
#include "text_fields.hpp"

namespace heed::data {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kAgNewsClasses{"World", "Sports", "Business", "Sci/Tech"};

std::optional<fs::path> ag_news_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  if (!fs::is_directory(path, ec)) return std::nullopt;
  for (const char* name : {"test.csv.gz", "test.csv", "train.csv.gz", "train.csv"}) {
    if (fs::is_regular_file(path / name, ec)) return path / name;
  }
  return std::nullopt;
}

}  // namespace

bool is_ag_news(const fs::path& folder) {
  std::error_code ec;
  return fs::is_directory(folder, ec) && ag_news_file(folder).has_value();
}

TextDataset read_ag_news(const fs::path& path) {
  const std::optional<fs::path> file = ag_news_file(path);
  if (!file) {
    throw Error(path.string() +
                ": no AG News CSV (test.csv.gz, test.csv, train.csv.gz or "
                "train.csv)");
  }
  GzipLineReader reader(*file);
  std::string_view line;
  if (!reader.next(line))
    reader.fail("the file is empty: expected the header label,title,description");
  std::vector<std::string> header = csv_fields(reader, line);
  for (std::string& h : header) h = std::string(trim(h));
  if (header != std::vector<std::string>{"label", "title", "description"}) {
    reader.fail("expected the header label,title,description");
  }
  TextDataset d;
  d.path = path;
  d.name = fs::is_directory(path) ? path.filename().string() : file->stem().string();
  if (d.name.empty()) d.name = path.parent_path().filename().string();
  d.num_classes = int(kAgNewsClasses.size());
  d.class_names = kAgNewsClasses;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = csv_fields(reader, line);
    require_columns(reader, int(fields.size()), 3);
    const int label = parse_number<int>(reader, 0, fields[0]);
    if (label < 1 || label > d.num_classes) {
      reader.fail("column 1 (label): " + std::to_string(label) + " is not a class 1 .. " +
                  std::to_string(d.num_classes));
    }
    d.classes.push_back(label - 1);
    d.texts.push_back(fields[1] + " " + fields[2]);
  }
  if (d.texts.empty()) reader.fail("no documents after the header");
  return d;
}

}  // namespace heed::data
