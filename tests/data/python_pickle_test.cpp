// The pickle reader: pickles written by hand in Python 2's protocol-2 opcodes
// (as Planetoid's files are) and read by hand; pickles Python itself writes
// at protocols 2 to 5, against the values the test gave Python; numpy arrays
// and scipy CSR matrices decoded; and bad pickles named with the byte and the
// problem.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "heed/data/numpy_array.hpp"
#include "heed/data/python_pickle.hpp"
#include "heed/error.hpp"
#include "support/test_python.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;
using data::pickle::read_pickle;
using data::pickle::Value;
using K = Value::Kind;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s += char(v);
  return s;
}
std::string le32(std::int32_t v) {
  return bytes({v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff});
}

// Opcodes, named as pickletools names them.
const std::string kProto2 = bytes({0x80, 2});
const std::string kStop = ".";
// An opcode and its argument (appended, not `"K" + ...`: GCC 12 warns
// wrongly (-Wrestrict) about a literal plus a temporary string).
std::string op(const char* code, const std::string& argument) {
  std::string s(code);
  s += argument;
  return s;
}
std::string binint1(int v) {
  return op("K", bytes({v}));
}
std::string binint2(int v) {
  return op("M", bytes({v & 0xff, v >> 8}));
}
std::string binint(std::int32_t v) {
  return op("J", le32(v));
}
std::string short_binstring(const std::string& s) {
  return op("U", bytes({int(s.size())}) + s);
}
std::string binstring(const std::string& s) {
  return op("T", le32(std::int32_t(s.size())) + s);
}
std::string global(const std::string& module, const std::string& name) {
  return op("c", module + "\n" + name + "\n");
}
std::string binput(int k) {
  return op("q", bytes({k}));
}
std::string binget(int k) {
  return op("h", bytes({k}));
}
const std::string kMark = "(", kTuple = "t", kTuple1 = bytes({0x85}), kTuple2 = bytes({0x86}),
                  kTuple3 = bytes({0x87}), kReduce = "R", kBuild = "b", kNone = "N",
                  kTrue = bytes({0x88}), kFalse = bytes({0x89}), kEmptyDict = "}", kEmptyList = "]",
                  kAppends = "e", kAppend = "a", kSetItems = "u";

// numpy.core.multiarray._reconstruct(ndarray, (0,), 'b') with the state
// (1, shape, dtype(code, 0, 1) with its byte order, fortran, raw bytes), as
// Python 2 pickles an array; `shape` is the shape tuple's opcodes.
std::string python2_array(const std::string& shape, const std::string& code, char order,
                          bool fortran, const std::string& raw) {
  return global("numpy.core.multiarray", "_reconstruct") + global("numpy", "ndarray") + binint1(0) +
         kTuple1 + short_binstring("b") + kTuple3 + kReduce + kMark + binint1(1) + shape +
         global("numpy", "dtype") + short_binstring(code) + binint1(0) + binint1(1) + kTuple3 +
         kReduce + kMark + binint1(3) + short_binstring(std::string(1, order)) + kNone + kNone +
         kNone + binint(-1) + binint(-1) + binint1(0) + kTuple + kBuild +
         (fortran ? kTrue : kFalse) + binstring(raw) + kTuple + kBuild;
}

TEST(PythonPickle, ScalarsContainersAndTheMemoAsPython2WritesThem) {
  // {'a': [1, -2, 300, 70000, 2.5, None, True], 'b': ('xy', <the list>)}
  // with the list stored in the memo and fetched again for the tuple.
  const std::string p = kProto2 + kEmptyDict + binput(0) + kMark + short_binstring("a") +
                        kEmptyList + binput(1) + kMark + binint1(1) + binint(-2) + binint2(300) +
                        binint(70000) + "G" + bytes({0x40, 0x04, 0, 0, 0, 0, 0, 0}) + kNone +
                        kTrue + kAppends + short_binstring("b") + short_binstring("xy") +
                        binget(1) + kTuple2 + kSetItems + kStop;
  const data::pickle::Pickle pickle = read_pickle(p, "hand");
  const Value& root = pickle.root();
  ASSERT_EQ(root.kind, K::dict);
  const Value* a = root.find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->kind, K::list);
  ASSERT_EQ(a->items.size(), 7u);
  EXPECT_EQ(a->items[0]->integer, 1);
  EXPECT_EQ(a->items[1]->integer, -2);
  EXPECT_EQ(a->items[2]->integer, 300);
  EXPECT_EQ(a->items[3]->integer, 70000);
  EXPECT_EQ(a->items[4]->floating, 2.5);
  EXPECT_EQ(a->items[5]->kind, K::none);
  EXPECT_TRUE(a->items[6]->boolean);
  const Value* b = root.find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->kind, K::tuple);
  EXPECT_EQ(b->items[0]->string, "xy");
  EXPECT_EQ(b->items[1], a);  // the memo's value, not a copy
}

TEST(PythonPickle, ScipyCsrMatrixAndDefaultdictAsPlanetoidHoldsThem) {
  // csr_matrix 2 x 3 [[0, 1, 0], [2, 0, 3]]: NEWOBJ of the class, then its
  // __dict__ by BUILD, with int32 indptr and indices and float32 data.
  auto int32s = [](std::initializer_list<int> v) {
    std::string raw;
    for (int x : v) raw += le32(x);
    return raw;
  };
  std::string floats;
  for (float x : {1.0f, 2.0f, 3.0f}) floats += le32(std::bit_cast<std::int32_t>(x));
  const std::string csr = kProto2 + global("scipy.sparse.csr", "csr_matrix") + ")" + bytes({0x81}) +
                          kEmptyDict + kMark + short_binstring("_shape") + binint1(2) + binint1(3) +
                          kTuple2 + short_binstring("indptr") +
                          python2_array(binint1(3) + kTuple1, "i4", '<', false, int32s({0, 1, 3})) +
                          short_binstring("indices") +
                          python2_array(binint1(3) + kTuple1, "i4", '<', false, int32s({1, 0, 2})) +
                          short_binstring("data") +
                          python2_array(binint1(3) + kTuple1, "f4", '<', false, floats) +
                          kSetItems + kBuild + kStop;
  const data::SparseRows m = data::scipy_csr_matrix(read_pickle(csr, "x").root(), "x");
  EXPECT_EQ(m.rows, 2u);
  EXPECT_EQ(m.cols, 3u);
  EXPECT_EQ(m.indptr, (std::vector<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(m.indices, (std::vector<std::int64_t>{1, 0, 2}));
  EXPECT_EQ(m.data, (std::vector<double>{1, 2, 3}));

  // defaultdict(list, {0: [1, 2], 5: [0]}): REDUCE, then SETITEMS on it.
  const std::string graph = kProto2 + global("collections", "defaultdict") +
                            global("__builtin__", "list") + kTuple1 + kReduce + kMark + binint1(0) +
                            kEmptyList + kMark + binint1(1) + binint1(2) + kAppends + binint1(5) +
                            kEmptyList + binint1(0) + kAppend + kSetItems + kStop;
  const data::pickle::Pickle g = read_pickle(graph, "graph");
  ASSERT_EQ(g.root().callable_name(), "collections defaultdict");
  ASSERT_EQ(g.root().items.size(), 4u);
  EXPECT_EQ(g.root().items[0]->integer, 0);
  EXPECT_EQ(g.root().items[1]->items.size(), 2u);
  EXPECT_EQ(g.root().items[3]->items.at(0)->integer, 0);

  // A column past the shape is refused.
  std::string wide = csr;
  wide.replace(wide.find(int32s({1, 0, 2})), 12, int32s({1, 0, 3}));
  try {
    data::scipy_csr_matrix(read_pickle(wide, "x").root(), "ind.cora.x");
    FAIL() << "a column past the shape was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "ind.cora.x: column 3 is outside the shape's 3 columns");
  }
}

TEST(PythonPickle, NumpyArraysInEitherByteOrderAndEitherLayout) {
  // float64 [[1, 2, 3], [4, 5, 6]], little-endian, C order
  std::string raw;
  for (double v : {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}) {
    const auto bits = std::bit_cast<std::uint64_t>(v);
    for (int k = 0; k < 8; ++k) raw += char((bits >> (8 * k)) & 0xff);
  }
  const std::string two_by_three = binint1(2) + binint1(3) + kTuple2;
  std::string p = kProto2 + python2_array(two_by_three, "f8", '<', false, raw) + kStop;
  data::NumpyArray a = data::numpy_array(read_pickle(p, "c").root(), "c");
  ASSERT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  // The same bytes in Fortran order are the columns: [[1, 3, 5], [2, 4, 6]].
  p = kProto2 + python2_array(two_by_three, "f8", '<', true, raw) + kStop;
  a = data::numpy_array(read_pickle(p, "f").root(), "f");
  EXPECT_EQ(a.values, (std::vector<double>{1, 3, 5, 2, 4, 6}));
  // Big-endian int32 [-1, 258].
  raw = bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 1, 2});
  p = kProto2 + python2_array(binint1(2) + kTuple1, "i4", '>', false, raw) + kStop;
  a = data::numpy_array(read_pickle(p, "be").root(), "be");
  EXPECT_EQ(a.values, (std::vector<double>{-1, 258}));
  // A shape that needs more bytes than there are.
  p = kProto2 + python2_array(binint1(3) + kTuple1, "i4", '>', false, raw) + kStop;
  try {
    data::numpy_array(read_pickle(p, "short").root(), "short");
    FAIL() << "a shape past the bytes was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("short: the shape needs 12 bytes"), std::string::npos)
        << e.what();
  }
}

TEST(PythonPickle, BadPicklesNameTheByteAndTheProblem) {
  auto message = [](const std::string& p) {
    try {
      read_pickle(p, "bad.pkl");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(kProto2 + binint1(1)),
            "bad.pkl: pickle byte 4: the pickle ends before its STOP opcode");
  EXPECT_EQ(message(kProto2 + binget(7) + kStop),
            "bad.pkl: pickle byte 2: memo entry 7 was never stored");
  EXPECT_NE(
      message(kProto2 + "P1\n" + kStop).find("pickle byte 2: opcode 0x50 is not one heed reads"),
      std::string::npos);
  EXPECT_EQ(message(kProto2 + "T" + le32(65535) + "ab" + kStop),
            "bad.pkl: pickle byte 2: needs 65535 bytes, but only 3 remain");
  EXPECT_EQ(message(kProto2 + binint1(1) + binint1(2) + kStop),
            "bad.pkl: pickle byte 6: STOP with 2 values on the stack, not one");
  EXPECT_EQ(message(kProto2 + binint1(1) + binint1(2) + kBuild + kStop),
            "bad.pkl: pickle byte 6: BUILD on an int");
  EXPECT_EQ(message(kProto2 + kAppend + kStop), "bad.pkl: pickle byte 2: pops an empty stack");
  EXPECT_EQ(message(bytes({0x80, 9}) + kStop),
            "bad.pkl: pickle byte 0: protocol 9 is newer than 5");
  // A list that contains itself is data, not a loop.
  const data::pickle::Pickle cycle =
      read_pickle(kProto2 + kEmptyList + binput(1) + binget(1) + kAppend + kStop, "cycle");
  EXPECT_EQ(cycle.root().items.at(0), &cycle.root());
}

std::string pickle_name(int protocol) {
  std::string name = std::to_string(protocol);
  name.insert(0, 1, 'p');
  return name + ".pkl";
}

// Python writes the pickles; heed must read back what the test gave Python.
TEST(PythonPickle, ReadsWhatPythonWritesAtEveryProtocolFromTwo) {
  const fs::path dir = fs::temp_directory_path() / ("heed-pickle-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string script =
      "import pickle, sys\n"
      "import numpy as np\n"
      "value = {'n': [0, 1, -1, 255, 256, -129, 2**31, -2**40, 2**62],\n"
      "         'f': [1.5, -0.0, 1e300], 's': ('text', b'\\x00\\xff\\x7f'), 'e': (), 't': True,\n"
      "         'a': np.array([[1.25, -2], [3, 4]], dtype='>f4'),\n"
      "         'i': np.arange(6, dtype=np.int64).reshape(3, 2).T}\n"
      "for p in (2, 3, 4, 5):\n"
      "    open(sys.argv[1] + '/p%d.pkl' % p, 'wb').write(pickle.dumps(value, protocol=p))\n";
  if (testing::run_python({"-c", script, dir.string()}) != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "needs Python 3 with numpy";
  }
  for (int protocol = 2; protocol <= 5; ++protocol) {
    SCOPED_TRACE("protocol " + std::to_string(protocol));
    const data::pickle::Pickle p = data::pickle::read_pickle_file(dir / pickle_name(protocol));
    const Value& root = p.root();
    const Value* n = root.find("n");
    ASSERT_NE(n, nullptr);
    const std::vector<std::int64_t> want{0,
                                         1,
                                         -1,
                                         255,
                                         256,
                                         -129,
                                         std::int64_t(1) << 31,
                                         -(std::int64_t(1) << 40),
                                         std::int64_t(1) << 62};
    ASSERT_EQ(n->items.size(), want.size());
    for (std::size_t k = 0; k < want.size(); ++k) EXPECT_EQ(n->items[k]->integer, want[k]);
    const Value* f = root.find("f");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->items[0]->floating, 1.5);
    EXPECT_TRUE(std::signbit(f->items[1]->floating));
    EXPECT_EQ(f->items[2]->floating, 1e300);
    const Value* s = root.find("s");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->items[0]->kind, K::text);
    EXPECT_EQ(s->items[0]->string, "text");
    EXPECT_EQ(s->items[1]->kind, K::bytes);
    EXPECT_EQ(s->items[1]->string, std::string("\x00\xff\x7f", 3));
    EXPECT_EQ(root.find("e")->items.size(), 0u);
    EXPECT_TRUE(root.find("t")->boolean);
    const data::NumpyArray a = data::numpy_array(*root.find("a"), "a");
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 2}));
    EXPECT_EQ(a.values, (std::vector<double>{1.25, -2, 3, 4}));
    // A transposed array is Fortran-ordered in memory; numpy pickles it so.
    const data::NumpyArray i = data::numpy_array(*root.find("i"), "i");
    EXPECT_EQ(i.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(i.values, (std::vector<double>{0, 2, 4, 1, 3, 5}));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace heed
