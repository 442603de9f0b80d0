#pragma once
// Labelled documents for text classification, as AG News ships them (Zhang,
// Zhao and LeCun 2015): a CSV with the header `label,title,description`,
// RFC 4180 quoting, one document a line, labels 1 .. 4 (World, Sports,
// Business, Sci/Tech). A document's text is its title and description.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace heed::data {

struct TextDataset {
  std::string name;
  std::filesystem::path path;
  std::vector<std::string> texts;
  std::vector<std::int32_t> classes;  // label - 1
  int num_classes = 0;
  std::vector<std::string> class_names;

  std::int64_t size() const { return std::int64_t(texts.size()); }
};

/// AG News from `path`: a folder holding test.csv.gz (or test.csv,
/// train.csv.gz, train.csv: the first found), or the file itself. Throws
/// heed::Error naming the file, the line and the problem: a header that is
/// not label,title,description, a record without exactly three fields, an
/// unclosed quote, a label that is not 1 .. 4, or no documents.
TextDataset read_ag_news(const std::filesystem::path& path);

/// Whether `folder` holds an AG News CSV.
bool is_ag_news(const std::filesystem::path& folder);

}  // namespace heed::data
