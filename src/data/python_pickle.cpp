#include "heed/data/python_pickle.hpp"

#include <bit>
#include <charconv>
#include <cstring>
#include <unordered_map>

#include "heed/data/file_bytes.hpp"
#include "heed/error.hpp"

namespace heed::data::pickle {

std::string Value::callable_name() const {
  if (kind != Kind::object || !callable || callable->kind != Kind::global) return "";
  return callable->string;
}

const Value* Value::find(std::string_view key) const {
  auto search = [&](const Value& dict) -> const Value* {
    for (std::size_t k = 0; k + 1 < dict.items.size(); k += 2) {
      if (dict.items[k]->is_string() && dict.items[k]->string == key) return dict.items[k + 1];
    }
    return nullptr;
  };
  if (kind == Kind::dict) return search(*this);
  if (kind == Kind::object) {
    if (const Value* v = search(*this)) return v;
    if (state && state->kind == Kind::dict) return search(*state);
  }
  return nullptr;
}

std::string describe(const Value& value) {
  using K = Value::Kind;
  switch (value.kind) {
    case K::none:
      return "None";
    case K::boolean:
      return "a bool";
    case K::integer:
      return "an int";
    case K::floating:
      return "a float";
    case K::bytes:
      return "a byte string";
    case K::text:
      return "a text string";
    case K::tuple:
      return "a tuple of " + std::to_string(value.items.size());
    case K::list:
      return "a list";
    case K::dict:
      return "a dict";
    case K::global:
      return "the global " + value.string;
    case K::object: {
      const std::string name = value.callable_name();
      return name.empty() ? "an object" : "an object made by " + name;
    }
  }
  return "a value";
}

// The stack machine of Python's pickle module (Lib/pickle.py documents every
// opcode), over values it allocates and owns; MARK is kept as a list of
// stack depths rather than a marker object on the stack.
class PickleMachine {
 public:
  PickleMachine(std::string_view bytes, const std::string& what) : bytes_(bytes), what_(what) {}

  Pickle run() {
    while (true) {
      opcode_at_ = at_;
      if (at_ >= bytes_.size()) fail("the pickle ends before its STOP opcode");
      const auto op = static_cast<unsigned char>(bytes_[at_++]);
      if (op == '.') break;
      step(op);
    }
    if (stack_.size() != 1 || !marks_.empty()) {
      fail("STOP with " + std::to_string(stack_.size()) + " values on the stack, not one");
    }
    result_.root_ = stack_.back();
    return std::move(result_);
  }

 private:
  using K = Value::Kind;

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(what_ + ": pickle byte " + std::to_string(opcode_at_) + ": " + problem);
  }

  Value* make(K kind) {
    result_.values_.push_back(std::make_unique<Value>());
    result_.values_.back()->kind = kind;
    return result_.values_.back().get();
  }
  Value* make_integer(std::int64_t v) {
    Value* value = make(K::integer);
    value->integer = v;
    return value;
  }
  Value* make_string(K kind, std::string_view s) {
    Value* value = make(kind);
    value->string = s;
    return value;
  }

  std::string_view take(std::uint64_t n) {
    if (n > bytes_.size() - at_) {
      fail("needs " + std::to_string(n) + " bytes, but only " +
           std::to_string(bytes_.size() - at_) + " remain");
    }
    std::string_view s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }
  std::uint64_t little_endian(int n) {
    const std::string_view s = take(n);
    std::uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(s[k]);
    return v;
  }
  std::string_view line() {
    const std::size_t end = bytes_.find('\n', at_);
    if (end == std::string_view::npos) fail("a text argument without its newline");
    std::string_view s = bytes_.substr(at_, end - at_);
    at_ = end + 1;
    return s;
  }
  std::int64_t text_integer(std::string_view s) {
    if (!s.empty() && s.back() == 'L') s.remove_suffix(1);  // protocol 0's long
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
      fail("\"" + std::string(s) + "\" is not an integer heed can hold");
    }
    return v;
  }

  Value* pop() {
    if (stack_.size() <= floor()) fail("pops an empty stack");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= floor()) fail("needs a value on an empty stack");
    return stack_.back();
  }
  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // The values above the newest MARK, which is removed.
  std::vector<Value*> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Value*> items(stack_.begin() + std::ptrdiff_t(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  Value* tuple(std::vector<Value*> items) {
    Value* t = make(K::tuple);
    t->items = std::move(items);
    return t;
  }
  void append_to(Value* target, const std::vector<Value*>& items) {
    if (target->kind != K::list && target->kind != K::object) {
      fail("appends to " + describe(*target));
    }
    target->items.insert(target->items.end(), items.begin(), items.end());
  }
  void set_items(Value* target, const std::vector<Value*>& items) {
    if (target->kind != K::dict && target->kind != K::object) {
      fail("sets items on " + describe(*target));
    }
    if (items.size() % 2) fail("an odd number of values for keys and values");
    target->items.insert(target->items.end(), items.begin(), items.end());
  }
  void memo_put(std::uint64_t key) { memo_[key] = top(); }
  Value* memo_get(std::uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo entry " + std::to_string(key) + " was never stored");
    return it->second;
  }

  // Python 3 pickles bytes at protocol 2 as _codecs.encode(text, "latin1"):
  // the text's code points are the bytes.
  Value* latin1_bytes(const Value& text) {
    Value* out = make(K::bytes);
    const std::string& s = text.string;
    for (std::size_t k = 0; k < s.size();) {
      const auto c = static_cast<unsigned char>(s[k]);
      if (c < 0x80) {
        out->string += char(c);
        k += 1;
      } else if ((c & 0xE0) == 0xC0 && k + 1 < s.size()) {
        const unsigned code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[k + 1]) & 0x3Fu);
        if (code > 0xFF) fail("a latin1 byte string with a character past U+00FF");
        out->string += char(code);
        k += 2;
      } else {
        fail("a latin1 byte string with a character past U+00FF");
      }
    }
    return out;
  }

  Value* call(Value* callable, Value* arguments) {
    if (arguments->kind != K::tuple) fail("calls with " + describe(*arguments) + ", not a tuple");
    if (callable->kind == K::global && callable->string == "_codecs encode" &&
        arguments->items.size() == 2 && arguments->items[0]->kind == K::text &&
        arguments->items[1]->is_string() &&
        (arguments->items[1]->string == "latin1" || arguments->items[1]->string == "latin-1")) {
      return latin1_bytes(*arguments->items[0]);
    }
    Value* object = make(K::object);
    object->callable = callable;
    object->arguments = arguments;
    return object;
  }

  void step(unsigned char op) {
    switch (op) {
      case 0x80: {  // PROTO
        const auto version = static_cast<unsigned char>(take(1)[0]);
        if (version > 5) fail("protocol " + std::to_string(version) + " is newer than 5");
        break;
      }
      case 0x95:
        take(8);
        break;  // FRAME: a hint for buffered readers
      case '(':
        marks_.push_back(stack_.size());
        break;
      case '0':
        pop();
        break;
      case '1':
        pop_mark();
        break;
      case '2':
        stack_.push_back(top());
        break;
      case 'N':
        stack_.push_back(make(K::none));
        break;
      case 0x88:
      case 0x89: {
        Value* b = make(K::boolean);
        b->boolean = op == 0x88;
        stack_.push_back(b);
        break;
      }
      case 'I': {  // INT; protocol 0 writes True and False as 01 and 00
        const std::string_view s = line();
        if (s == "01" || s == "00") {
          Value* b = make(K::boolean);
          b->boolean = s == "01";
          stack_.push_back(b);
        } else {
          stack_.push_back(make_integer(text_integer(s)));
        }
        break;
      }
      case 'L':
        stack_.push_back(make_integer(text_integer(line())));
        break;
      case 'J':
        stack_.push_back(make_integer(std::int32_t(std::uint32_t(little_endian(4)))));
        break;
      case 'K':
        stack_.push_back(make_integer(std::int64_t(little_endian(1))));
        break;
      case 'M':
        stack_.push_back(make_integer(std::int64_t(little_endian(2))));
        break;
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        const std::uint64_t n = little_endian(op == 0x8a ? 1 : 4);
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes, past 64 bits");
        std::uint64_t v = n ? little_endian(int(n)) : 0;
        if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t(0) << (8 * n);  // sign
        stack_.push_back(make_integer(std::int64_t(v)));
        break;
      }
      case 'F': {
        const std::string s(line());
        Value* f = make(K::floating);
        char* end = nullptr;
        f->floating = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size()) fail("\"" + s + "\" is not a float");
        stack_.push_back(f);
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const std::string_view s = take(8);
        std::uint64_t bits = 0;
        for (char c : s) bits = (bits << 8) | static_cast<unsigned char>(c);
        Value* f = make(K::floating);
        f->floating = std::bit_cast<double>(bits);
        stack_.push_back(f);
        break;
      }
      case 'U':
        stack_.push_back(make_string(K::bytes, take(little_endian(1))));
        break;
      case 'T':
        stack_.push_back(make_string(K::bytes, take(little_endian(4))));
        break;
      case 'C':
        stack_.push_back(make_string(K::bytes, take(little_endian(1))));
        break;
      case 'B':
        stack_.push_back(make_string(K::bytes, take(little_endian(4))));
        break;
      case 0x8e:
        stack_.push_back(make_string(K::bytes, take(little_endian(8))));
        break;
      // BYTEARRAY8: protocol 5's in-band buffer (numpy arrays at protocol 5)
      case 0x96:
        stack_.push_back(make_string(K::bytes, take(little_endian(8))));
        break;
      case 0x8c:
        stack_.push_back(make_string(K::text, take(little_endian(1))));
        break;
      case 'X':
        stack_.push_back(make_string(K::text, take(little_endian(4))));
        break;
      case 0x8d:
        stack_.push_back(make_string(K::text, take(little_endian(8))));
        break;
      case ')':
        stack_.push_back(tuple({}));
        break;
      case 't':
        stack_.push_back(tuple(pop_mark()));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        const int n = op - 0x84;
        if (stack_.size() < floor() + std::size_t(n))
          fail("a tuple of more values than the stack has");
        std::vector<Value*> items(stack_.end() - n, stack_.end());
        stack_.resize(stack_.size() - std::size_t(n));
        stack_.push_back(tuple(std::move(items)));
        break;
      }
      case ']':
        stack_.push_back(make(K::list));
        break;
      case 'l': {
        Value* list = make(K::list);
        list->items = pop_mark();
        stack_.push_back(list);
        break;
      }
      case 'a': {
        Value* item = pop();
        append_to(top(), {item});
        break;
      }
      case 'e': {
        std::vector<Value*> items = pop_mark();
        append_to(top(), items);
        break;
      }
      case '}':
        stack_.push_back(make(K::dict));
        break;
      case 'd': {
        std::vector<Value*> items = pop_mark();
        Value* dict = make(K::dict);
        set_items(dict, items);
        stack_.push_back(dict);
        break;
      }
      case 's': {
        Value* value = pop();
        Value* key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {
        std::vector<Value*> items = pop_mark();
        set_items(top(), items);
        break;
      }
      case 'c': {  // GLOBAL: module and name on two lines
        std::string name(line());
        name += ' ';
        name += line();
        stack_.push_back(make_string(K::global, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Value* name = pop();
        Value* module = pop();
        if (!name->is_string() || !module->is_string()) fail("STACK_GLOBAL of non-strings");
        stack_.push_back(make_string(K::global, module->string + ' ' + name->string));
        break;
      }
      case 'R': {
        Value* arguments = pop();
        Value* callable = pop();
        stack_.push_back(call(callable, arguments));
        break;
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        Value* arguments = pop();
        Value* cls = pop();
        stack_.push_back(call(cls, arguments));
        break;
      }
      case 0x92: {  // NEWOBJ_EX: keyword arguments are kept with the state
        Value* keywords = pop();
        Value* arguments = pop();
        Value* cls = pop();
        Value* object = call(cls, arguments);
        if (object->kind == K::object) object->state = keywords;
        stack_.push_back(object);
        break;
      }
      case 'b': {
        Value* state = pop();
        Value* object = top();
        if (object->kind != K::object) fail("BUILD on " + describe(*object));
        object->state = state;
        break;
      }
      case 'p':
        memo_put(std::uint64_t(text_integer(line())));
        break;
      case 'q':
        memo_put(little_endian(1));
        break;
      case 'r':
        memo_put(little_endian(4));
        break;
      case 0x94:
        memo_put(memo_.size());
        break;  // MEMOIZE
      case 'g':
        stack_.push_back(memo_get(std::uint64_t(text_integer(line()))));
        break;
      case 'h':
        stack_.push_back(memo_get(little_endian(1)));
        break;
      case 'j':
        stack_.push_back(memo_get(little_endian(4)));
        break;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("opcode ") + hex +
             " is not one heed reads (persistent ids, extensions, sets and buffers are not data "
             "heed expects)");
      }
    }
  }

  std::string_view bytes_;
  const std::string& what_;
  std::size_t at_ = 0;
  std::size_t opcode_at_ = 0;
  std::vector<Value*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value*> memo_;
  Pickle result_;
};

Pickle read_pickle(std::string_view bytes, const std::string& what) {
  return PickleMachine(bytes, what).run();
}

Pickle read_pickle_file(const std::filesystem::path& path) {
  return read_pickle(read_file_bytes(path, "pickle"), path.string());
}

}  // namespace heed::data::pickle
