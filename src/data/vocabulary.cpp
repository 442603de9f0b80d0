#include "heed/data/vocabulary.hpp"

#include <algorithm>
#include <string>

#include "heed/error.hpp"

namespace heed::data {

std::vector<std::string> word_pieces(std::string_view text) {
  std::vector<std::string> pieces;
  std::string current;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      current += char(c | 0x20);  // ASCII lower case
    } else if (!current.empty()) {
      pieces.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) pieces.push_back(std::move(current));
  return pieces;
}

Vocabulary Vocabulary::build(std::span<const std::vector<std::string>> documents, int min_count) {
  if (min_count < 1) {
    throw Error("vocabulary: the minimum count must be >= 1, got " + std::to_string(min_count));
  }
  std::unordered_map<std::string, std::int64_t> counts;
  for (const auto& doc : documents) {
    for (const std::string& w : doc) ++counts[w];
  }
  std::vector<std::pair<std::string, std::int64_t>> kept;
  for (auto& [w, n] : counts) {
    if (n >= min_count) kept.emplace_back(w, n);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  Vocabulary v;
  v.words_.reserve(kept.size() + 1);
  for (auto& [w, n] : kept) {
    v.ids_.emplace(w, std::int32_t(v.words_.size()));
    v.words_.push_back(w);
  }
  return v;
}

std::int32_t Vocabulary::id(std::string_view word) const {
  const auto it = ids_.find(std::string(word));
  return it == ids_.end() ? kUnknown : it->second;
}

std::vector<std::int32_t> Vocabulary::encode(std::span<const std::string> pieces,
                                             std::size_t max_tokens) const {
  std::vector<std::int32_t> ids;
  const std::size_t n = std::min(pieces.size(), max_tokens);
  ids.reserve(std::max<std::size_t>(n, 1));
  for (std::size_t k = 0; k < n; ++k) ids.push_back(id(pieces[k]));
  if (ids.empty()) ids.push_back(kUnknown);
  return ids;
}

}  // namespace heed::data
