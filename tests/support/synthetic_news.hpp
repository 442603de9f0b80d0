#pragma once
// A small AG News-shaped corpus for tests: `per_class` documents of each of
// 4 classes, in AG News's CSV layout. A document mixes 4 words of its
// class's own 8 with 6 words every class uses, in an order drawn from a
// fixed LCG, so a model that learns which words matter classifies it.
#include <cstdint>
#include <string>
#include <vector>

namespace heed::testing {

inline std::string synthetic_news_csv(int per_class) {
  const std::vector<std::string> shared{"the", "of", "and", "news", "said", "today"};
  std::uint64_t state = 12345;
  auto draw = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  std::string csv = "label,title,description\n";
  for (int d = 0; d < per_class; ++d) {
    for (int c = 0; c < 4; ++c) {
      std::vector<std::string> words;
      for (int k = 0; k < 4; ++k) {
        words.push_back(std::string(1, char('a' + c)) + char('a' + draw(8)) + "x");
      }
      for (int k = 0; k < 6; ++k) words.push_back(shared[draw(shared.size())]);
      for (std::size_t k = words.size(); k > 1; --k) std::swap(words[k - 1], words[draw(k)]);
      std::string title = words[0] + " " + words[1], text;
      for (std::size_t k = 2; k < words.size(); ++k) text += (k > 2 ? " " : "") + words[k];
      csv += std::to_string(c + 1) + "," + title + ",\"" + text + ".\"\n";
    }
  }
  return csv;
}

}  // namespace heed::testing
