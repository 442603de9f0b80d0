#pragma once
// A five-node dataset in heed's layout (docs/data-format.md), written fresh
// for each test into a folder of its own, and helpers to damage it.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "heed/data/dataset.hpp"
#include "heed/error.hpp"

namespace heed::testing {

namespace fs = std::filesystem;

inline void write_gz(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, text.data(), unsigned(text.size())), int(text.size()));
  gzclose(f);
}

inline void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class TinyDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heed-data-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    write_text(dir_ / "meta.json",
               R"({"name": "tiny", "num_nodes": 5, "num_features": 2, "num_classes": 2})");
    write_gz(dir_ / "edge.csv.gz", "0,1\n1,0\n1,2\n2,1\n2,3\n3,2\n3,4\n4,3\n");
    write_gz(dir_ / "node-feat.csv.gz", "1,3\n0,0\n2,2\n0.5,1.5\n1,1\n");
    write_gz(dir_ / "node-label.csv.gz", "0\n1\n-1\n1\n0\n");
    write_gz(dir_ / "split/public/train.csv.gz", "0\n1\n");
    write_gz(dir_ / "split/public/valid.csv.gz", "3\n");
    write_gz(dir_ / "split/public/test.csv.gz", "4\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loads the dataset and returns the error message (empty if none).
  std::string load_error() {
    try {
      data::load_dataset(dir_.string());
    } catch (const Error& e) {
      return e.what();
    }
    return {};
  }

  // The message must name `file` and, if given, its line number.
  void expect_error(const std::string& file, int line, const std::string& problem) {
    const std::string msg = load_error();
    ASSERT_FALSE(msg.empty()) << "no error for a bad " << file;
    std::string where = (dir_ / file).string();
    if (line > 0) {
      where += ':';
      where += std::to_string(line);
    }
    EXPECT_NE(msg.find(where), std::string::npos) << "message: " << msg << "\nwanted: " << where;
    EXPECT_NE(msg.find(problem), std::string::npos)
        << "message: " << msg << "\nwanted: " << problem;
  }

  fs::path dir_;
};

}  // namespace heed::testing
