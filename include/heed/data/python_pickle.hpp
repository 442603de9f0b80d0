#pragma once
// Python pickles, read as data. Some public datasets (Planetoid's Cora,
// CiteSeer and PubMed) ship only as pickles of numpy arrays and scipy
// matrices. heed replays the pickle's stack machine into a tree of values and
// never runs Python: a call of a named global (numpy's array constructor, a
// scipy class) becomes an Object that records the global, its arguments and
// the state it was given, and what that means is decided by the code that
// reads the tree (see numpy_array.hpp).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace heed::data::pickle {

struct Value;
// The memo lets a pickle refer to one value from many places (even from
// inside itself), so values point at each other and a Pickle owns them all.
using ValuePtr = Value*;

struct Value {
  enum class Kind {
    none,
    boolean,
    integer,
    floating,
    bytes,
    text,
    tuple,
    list,
    dict,
    global,
    object
  };
  Kind kind = Kind::none;
  bool boolean = false;
  std::int64_t integer = 0;
  double floating = 0;
  // bytes and text; for a global, "module name"
  std::string string;
  // tuple and list: the elements; dict: keys and values alternating. An
  // object keeps here what a pickle appends or sets on it (a list or dict
  // subclass such as collections.defaultdict).
  std::vector<ValuePtr> items;
  // object: the global called (or the class instantiated), its argument
  // tuple, and the state BUILD gave it (null if none)
  ValuePtr callable = nullptr;
  ValuePtr arguments = nullptr;
  ValuePtr state = nullptr;

  /// "module name" of an object's callable, or "" when it is not a global.
  std::string callable_name() const;
  /// Bytes and text alike as a string (Python 2's str is bytes).
  bool is_string() const { return kind == Kind::bytes || kind == Kind::text; }
  /// The value of key `key` (a bytes or text key) in a dict or object's dict
  /// items or dict state; null if absent.
  const Value* find(std::string_view key) const;
};

/// The values a pickle built, and the one it returned.
class Pickle {
 public:
  const Value& root() const { return *root_; }

 private:
  friend class PickleMachine;
  std::vector<std::unique_ptr<Value>> values_;
  const Value* root_ = nullptr;
};

/// The value a pickle builds: protocols 2 to 5 (Python 2's and 3's binary
/// pickles), the opcodes of data; of protocols 0 and 1's text opcodes only
/// the numbers, globals and memo (no quoted strings), and no persistent ids,
/// extension registry or out-of-band buffers. `what` names
/// the source in errors: heed::Error "WHAT: pickle byte N: problem".
Pickle read_pickle(std::string_view bytes, const std::string& what);
/// read_pickle of a file's bytes, errors naming the file.
Pickle read_pickle_file(const std::filesystem::path& path);

/// A short description of a value's kind for errors: "a tuple", "an int".
std::string describe(const Value& value);

}  // namespace heed::data::pickle
