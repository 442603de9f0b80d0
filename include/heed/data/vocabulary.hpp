#pragma once
// Words to token ids, for text as graphs: a document is lower-cased and cut
// into word pieces at every character that is not an ASCII letter; the
// vocabulary holds the words of the training documents seen at least a
// minimum number of times, and every other word maps to one unknown id.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace heed::data {

/// Lower-case runs of ASCII letters: "U.S. shares rose 3%" -> u, s, shares,
/// rose. Digits, punctuation and bytes of other scripts separate pieces.
std::vector<std::string> word_pieces(std::string_view text);

class Vocabulary {
 public:
  static constexpr std::int32_t kUnknown = 0;

  /// The words of `documents` (each its word pieces) seen at least
  /// `min_count` times (>= 1), numbered from 1 by decreasing count, then
  /// alphabetically; 0 is the unknown word.
  static Vocabulary build(std::span<const std::vector<std::string>> documents, int min_count);

  /// The word's id, or kUnknown.
  std::int32_t id(std::string_view word) const;
  /// The first `max_tokens` pieces as ids; a document without pieces is one
  /// unknown token, so that no graph is empty.
  std::vector<std::int32_t> encode(std::span<const std::string> pieces,
                                   std::size_t max_tokens) const;
  /// Words, the unknown one included.
  std::size_t size() const { return words_.size(); }
  const std::string& word(std::int32_t id) const { return words_.at(std::size_t(id)); }

 private:
  std::vector<std::string> words_{"<unk>"};
  std::unordered_map<std::string, std::int32_t> ids_;
};

}  // namespace heed::data
