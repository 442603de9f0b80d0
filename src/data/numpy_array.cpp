#include "heed/data/numpy_array.hpp"

#include <bit>
#include <cstring>

#include "heed/error.hpp"

namespace heed::data {
namespace {

using pickle::Value;
using K = Value::Kind;

[[noreturn]] void fail(const std::string& what, const std::string& problem) {
  throw Error(what + ": " + problem);
}

const Value& item(const Value& tuple, std::size_t k, const std::string& what) {
  if (tuple.kind != K::tuple || k >= tuple.items.size()) {
    fail(what, "expected a tuple of more than " + std::to_string(k) + " values, found " +
                   describe(tuple));
  }
  return *tuple.items[k];
}

struct ElementType {
  char kind = 'f';  // 'f' float, 'i' signed, 'u' unsigned, 'b' bool
  std::size_t size = 8;
  bool big_endian = false;
};

// numpy.dtype(code, align, copy) with state (version, byte order, ...).
ElementType element_type(const Value& dtype, const std::string& what) {
  if (dtype.callable_name() != "numpy dtype") {
    fail(what, "the array's element type is " + describe(dtype) + ", not a numpy dtype");
  }
  const Value& code = item(*dtype.arguments, 0, what + ": dtype");
  if (!code.is_string() || code.string.size() < 2) fail(what, "a dtype without a type code");
  ElementType t;
  t.kind = code.string[0];
  const std::string digits = code.string.substr(1);
  if (digits == "1" || digits == "2" || digits == "4" || digits == "8") {
    t.size = std::size_t(digits[0] - '0');
  } else {
    t.kind = '?';
  }
  const bool known = (t.kind == 'f' && (t.size == 4 || t.size == 8)) || t.kind == 'i' ||
                     t.kind == 'u' || (t.kind == 'b' && t.size == 1);
  if (!known) fail(what, "numpy type \"" + code.string + "\" is not a number type heed reads");
  if (dtype.state) {
    const Value& order = item(*dtype.state, 1, what + ": dtype state");
    if (!order.is_string()) fail(what, "a dtype whose byte order is not a string");
    t.big_endian = order.string == ">";
  }
  return t;
}

double element(const char* p, const ElementType& t) {
  // The bytes from most to least significant.
  std::uint64_t bits = 0;
  for (std::size_t k = 0; k < t.size; ++k) {
    bits = (bits << 8) | static_cast<unsigned char>(p[t.big_endian ? k : t.size - 1 - k]);
  }
  switch (t.kind) {
    case 'f':
      return t.size == 4 ? double(std::bit_cast<float>(std::uint32_t(bits)))
                         : std::bit_cast<double>(bits);
    case 'b':
      return bits ? 1.0 : 0.0;
    case 'u':
      return double(bits);
    default: {
      const int shift = int(64 - 8 * t.size);
      return double(std::int64_t(bits << shift) >> shift);
    }
  }
}

std::vector<std::int64_t> whole_numbers(const NumpyArray& a, const std::string& what) {
  std::vector<std::int64_t> out(a.values.size());
  for (std::size_t k = 0; k < out.size(); ++k) {
    const double v = a.values[k];
    if (!(v >= -9.0e18 && v <= 9.0e18) || double(std::int64_t(v)) != v) {
      fail(what, "holds a value that is not a whole number");
    }
    out[k] = std::int64_t(v);
  }
  return out;
}

}  // namespace

NumpyArray numpy_array(const Value& value, const std::string& what) {
  const std::string maker = value.callable_name();
  const Value* shape_value = nullptr;
  const Value* dtype = nullptr;
  const Value* raw_value = nullptr;
  bool column_major = false;
  if (maker == "numpy.core.multiarray _reconstruct" ||
      maker == "numpy._core.multiarray _reconstruct") {
    // Protocols up to 4: _reconstruct(ndarray, (0,), b'b'), then the state
    // (version, shape, dtype, is_fortran, raw bytes).
    if (!value.state) fail(what, "a numpy array without its state");
    shape_value = &item(*value.state, 1, what + ": array state");
    dtype = &item(*value.state, 2, what + ": array state");
    const Value& fortran = item(*value.state, 3, what + ": array state");
    column_major = (fortran.kind == K::boolean && fortran.boolean) ||
                   (fortran.kind == K::integer && fortran.integer != 0);
    raw_value = &item(*value.state, 4, what + ": array state");
  } else if (maker == "numpy.core.numeric _frombuffer" ||
             maker == "numpy._core.numeric _frombuffer") {
    // Protocol 5: _frombuffer(buffer, dtype, shape, order).
    raw_value = &item(*value.arguments, 0, what + ": array arguments");
    dtype = &item(*value.arguments, 1, what + ": array arguments");
    shape_value = &item(*value.arguments, 2, what + ": array arguments");
    const Value& order = item(*value.arguments, 3, what + ": array arguments");
    column_major = order.is_string() && order.string == "F";
  } else {
    fail(what, "expected a numpy array, found " + describe(value));
  }
  const Value& shape = *shape_value;
  const Value& raw = *raw_value;
  const ElementType type = element_type(*dtype, what);
  if (shape.kind != K::tuple) fail(what, "an array shape that is not a tuple");
  NumpyArray a;
  std::size_t count = 1;
  for (const Value* extent : shape.items) {
    if (extent->kind != K::integer || extent->integer < 0)
      fail(what, "a negative or non-integer extent");
    a.shape.push_back(std::size_t(extent->integer));
    if (a.shape.back() && count > raw.string.size() / a.shape.back()) {
      fail(what, "a shape larger than the array's bytes");
    }
    count *= a.shape.back();
  }
  if (raw.kind != K::bytes) fail(what, "the array's elements are " + describe(raw) + ", not bytes");
  if (raw.string.size() != count * type.size) {
    fail(what, "the shape needs " + std::to_string(count * type.size) + " bytes of elements, the " +
                   "pickle holds " + std::to_string(raw.string.size()));
  }
  a.values.resize(count);
  for (std::size_t k = 0; k < count; ++k)
    a.values[k] = element(raw.string.data() + k * type.size, type);
  if (column_major && a.shape.size() == 2) {
    const std::size_t rows = a.shape[0], cols = a.shape[1];
    std::vector<double> c(count);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t j = 0; j < cols; ++j) c[r * cols + j] = a.values[j * rows + r];
    }
    a.values = std::move(c);
  } else if (column_major && a.shape.size() > 2) {
    fail(what, "a Fortran-ordered array of more than two dimensions");
  }
  return a;
}

SparseRows scipy_csr_matrix(const Value& value, const std::string& what) {
  const std::string maker = value.callable_name();
  if (maker != "scipy.sparse.csr csr_matrix" && maker != "scipy.sparse._csr csr_matrix") {
    fail(what, "expected a scipy csr_matrix, found " + describe(value));
  }
  auto field = [&](const char* name) -> const Value& {
    const Value* v = value.find(name);
    if (!v) fail(what, std::string("the csr_matrix has no \"") + name + "\"");
    return *v;
  };
  const Value& shape = field("_shape");
  if (shape.kind != K::tuple || shape.items.size() != 2 || shape.items[0]->kind != K::integer ||
      shape.items[1]->kind != K::integer || shape.items[0]->integer < 0 ||
      shape.items[1]->integer < 0) {
    fail(what, "the csr_matrix's shape is not two non-negative integers");
  }
  SparseRows m;
  m.rows = std::size_t(shape.items[0]->integer);
  m.cols = std::size_t(shape.items[1]->integer);
  m.indptr = whole_numbers(numpy_array(field("indptr"), what + ": indptr"), what + ": indptr");
  m.indices = whole_numbers(numpy_array(field("indices"), what + ": indices"), what + ": indices");
  m.data = numpy_array(field("data"), what + ": data").values;
  if (m.indptr.size() != m.rows + 1) {
    fail(what, "indptr has " + std::to_string(m.indptr.size()) + " entries for " +
                   std::to_string(m.rows) + " rows");
  }
  if (m.indices.size() != m.data.size()) fail(what, "indices and data differ in length");
  if (m.indptr.front() != 0 || m.indptr.back() != std::int64_t(m.indices.size())) {
    fail(what, "indptr does not run from 0 to the number of stored values");
  }
  for (std::size_t r = 0; r < m.rows; ++r) {
    if (m.indptr[r] > m.indptr[r + 1]) fail(what, "indptr decreases at row " + std::to_string(r));
  }
  for (std::int64_t j : m.indices) {
    if (j < 0 || std::size_t(j) >= m.cols) {
      fail(what, "column " + std::to_string(j) + " is outside the shape's " +
                     std::to_string(m.cols) + " columns");
    }
  }
  return m;
}

}  // namespace heed::data
