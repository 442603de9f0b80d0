// heed data download end to end, with no internet: a local HTTP server
// (Python's http.server on 127.0.0.1) serves the shared datasets' source
// files: ESOL's CSV as it is, MUTAG zipped as the TUDataset server ships it,
// and Cora as Planetoid's pickles (made from the shared Cora by
// tests/support/write_planetoid_files.py). heed must fetch, convert and
// check them against the checksums it pins, which are those of the shared
// copies. Then every way a download fails leaves no dataset behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "heed/data/dataset.hpp"
#include "heed/data/graph_dataset.hpp"
#include "heed/download/dataset_catalogue.hpp"
#include "heed/download/dataset_download.hpp"
#include "heed/download/sha256.hpp"
#include "heed/error.hpp"
#include "support/local_http_server.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = HEED_TEST_DATA_DIR;

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class Download : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("heed-download-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "served");
    const fs::path served = root_ / "served";
    if (fs::exists(kShared / "esol" / "delaney-processed.csv")) {
      fs::copy_file(kShared / "esol" / "delaney-processed.csv", served / "delaney-processed.csv");
    }
    // MUTAG.zip as the TUDataset server has it: a MUTAG/ folder inside.
    const std::string zip_mutag =
        "import os, sys, zipfile\n"
        "src, out = sys.argv[1], sys.argv[2]\n"
        "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
        "    for f in sorted(os.listdir(src)):\n"
        "        if f.startswith('MUTAG_') or f == 'README.txt':\n"
        "            z.write(os.path.join(src, f), 'MUTAG/' + f)\n";
    if (fs::exists(kShared / "mutag")) {
      testing::run_python(
          {"-c", zip_mutag, (kShared / "mutag").string(), (served / "MUTAG.zip").string()});
    }
    if (fs::exists(kShared / "cora")) {
      testing::run_python({std::string(HEED_TEST_SCRIPTS_DIR) + "/support/write_planetoid_files.py",
                           (kShared / "cora").string(), served.string(), "cora"});
    }
    // A TUDataset heed pins no checksum for: two graphs.
    fs::create_directories(root_ / "tiny" / "TINY");
    std::ofstream(root_ / "tiny" / "TINY" / "TINY_A.txt") << "1, 2\n2, 1\n3, 4\n4, 3\n";
    std::ofstream(root_ / "tiny" / "TINY" / "TINY_graph_indicator.txt") << "1\n1\n2\n2\n";
    std::ofstream(root_ / "tiny" / "TINY" / "TINY_graph_labels.txt") << "0\n1\n";
    std::ofstream(root_ / "tiny" / "TINY" / "TINY_node_labels.txt") << "0\n1\n1\n0\n";
    testing::run_python({"-c",
                         "import shutil, sys\n"
                         "shutil.make_archive(sys.argv[1], 'zip', sys.argv[2], 'TINY')\n",
                         (served / "TINY").string(), (root_ / "tiny").string()});
    // Damaged copies: a CSV with one digit changed, a zip cut short.
    if (fs::exists(served / "delaney-processed.csv")) {
      fs::create_directories(served / "changed");
      std::string csv = file_text(served / "delaney-processed.csv");
      csv[csv.rfind("-0.77")] = '+';
      std::ofstream(served / "changed" / "delaney-processed.csv", std::ios::binary) << csv;
    }
    if (fs::exists(served / "MUTAG.zip")) {
      fs::create_directories(served / "cut");
      const std::string zip = file_text(served / "MUTAG.zip");
      std::ofstream(served / "cut" / "MUTAG.zip", std::ios::binary)
          << zip.substr(0, zip.size() / 2);
    }
    server_ = std::make_unique<testing::LocalHttpServer>(served);
  }
  static void TearDownTestSuite() {
    server_.reset();
    fs::remove_all(root_);
  }
  void SetUp() override {
    if (!server_->started()) GTEST_SKIP() << "needs Python 3 for a local HTTP server";
    cache_ = root_ / ("cache-" +
                      std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(cache_);
  }

  download::DownloadOptions options(const std::string& path = "") const {
    download::DownloadOptions o;
    o.cache = cache_;
    o.base_url = server_->url() + path;
    return o;
  }
  std::string failure(const std::string& name, const download::DownloadOptions& o) const {
    try {
      download::download_dataset(name, o);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  // Nothing in the cache but what was there before: no dataset folder, no
  // hidden half of one.
  std::vector<std::string> cache_entries() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cache_, ec))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  static inline fs::path root_;
  static inline std::unique_ptr<testing::LocalHttpServer> server_;
  fs::path cache_;
};

TEST_F(Download, CoraFromPlanetoidsPicklesIsTheSharedCoraByteForByte) {
  if (!fs::exists(root_ / "served" / "ind.cora.graph")) {
    GTEST_SKIP() << "needs ../shared/data/cora and Python 3 with numpy";
  }
  const download::DownloadResult r = download::download_dataset("Cora", options());
  EXPECT_TRUE(r.fetched);
  EXPECT_EQ(r.folder, cache_ / "cora");
  EXPECT_EQ(r.urls.size(), 8u);
  std::size_t pinned = 0;
  for (const download::DownloadedFile& f : r.files) pinned += f.pinned;
  EXPECT_EQ(pinned, 6u);
  for (const char* f :
       {"edge.csv.gz", "node-feat.csv.gz", "node-label.csv.gz", "split/public/train.csv.gz",
        "split/public/valid.csv.gz", "split/public/test.csv.gz"}) {
    EXPECT_EQ(download::sha256_of_file(cache_ / "cora" / f),
              download::sha256_of_file(kShared / "cora" / f))
        << f;
  }
  EXPECT_TRUE(fs::exists(cache_ / "cora" / "SHA256SUMS"));
  EXPECT_FALSE(fs::exists(cache_ / "cora" / ".raw"));
  const data::Dataset d = data::load_dataset((cache_ / "cora").string());
  EXPECT_EQ(d.x.rows(), 2708u);
  EXPECT_EQ(d.split("public").test.size(), 1000u);
  EXPECT_EQ(cache_entries(), std::vector<std::string>{"cora"});
}

TEST_F(Download, MutagFromItsZipWithItsPinnedChecksums) {
  if (!fs::exists(root_ / "served" / "MUTAG.zip")) GTEST_SKIP() << "needs ../shared/data/mutag";
  const download::DownloadResult r = download::download_dataset("mutag", options());
  EXPECT_TRUE(r.fetched);
  EXPECT_EQ(r.urls, std::vector<std::string>{server_->url() + "/MUTAG.zip"});
  for (const char* f : {"MUTAG_A.txt", "MUTAG_graph_indicator.txt", "MUTAG_graph_labels.txt",
                        "MUTAG_node_labels.txt", "MUTAG_edge_labels.txt", "README.txt"}) {
    EXPECT_EQ(file_text(cache_ / "mutag" / f), file_text(kShared / "mutag" / f)) << f;
  }
  const data::GraphDataset g = data::read_graph_dataset(cache_ / "mutag");
  EXPECT_EQ(g.num_graphs(), 188);
  // Fetched once: a second call finds it and leaves it as it is.
  const download::DownloadResult again = download::download_dataset("MUTAG", options());
  EXPECT_FALSE(again.fetched);
}

TEST_F(Download, EsolCsvWithItsTargetColumn) {
  if (!fs::exists(root_ / "served" / "delaney-processed.csv"))
    GTEST_SKIP() << "needs ../shared/data/esol";
  const download::DownloadResult r = download::download_dataset("esol", options());
  EXPECT_TRUE(r.fetched);
  EXPECT_EQ(file_text(cache_ / "esol" / "delaney-processed.csv"),
            file_text(kShared / "esol" / "delaney-processed.csv"));
  const data::GraphDataset g = data::read_graph_dataset(cache_ / "esol");
  EXPECT_EQ(g.num_graphs(), 1128);
  // --data esol finds it in the cache ($HEED_DATA), before ../shared/data.
  ::setenv("HEED_DATA", cache_.c_str(), 1);
  EXPECT_EQ(data::resolve_dataset("esol"), cache_ / "esol");
  EXPECT_EQ(data::resolve_dataset("ESOL"), cache_ / "esol");
  ::unsetenv("HEED_DATA");
}

TEST_F(Download, AnyTuDatasetByNameWithItsChecksumsRecordedNotChecked) {
  const download::DownloadResult r = download::download_dataset("tu:TINY", options());
  EXPECT_TRUE(r.fetched);
  EXPECT_EQ(r.folder, cache_ / "tiny");
  for (const download::DownloadedFile& f : r.files) {
    EXPECT_FALSE(f.pinned) << f.path;
    EXPECT_EQ(f.sha256, download::sha256_of_file(cache_ / "tiny" / f.path));
  }
  EXPECT_EQ(data::read_graph_dataset(cache_ / "tiny").num_graphs(), 2);
  EXPECT_NE(file_text(cache_ / "tiny" / "SHA256SUMS").find("  ./TINY_A.txt\n"), std::string::npos);
}

TEST_F(Download, EveryFailureLeavesNoDatasetBehind) {
  // Not on the server: the URL and the HTTP status.
  EXPECT_EQ(failure("tu:NOPE", options()),
            server_->url() + "/NOPE.zip: the server answered HTTP 404");
  EXPECT_TRUE(cache_entries().empty());
  // A file that is not the one heed pins.
  if (fs::exists(root_ / "served" / "changed" / "delaney-processed.csv")) {
    const std::string e = failure("esol", options("/changed"));
    EXPECT_NE(e.find("esol: delaney-processed.csv has SHA-256 "), std::string::npos) << e;
    EXPECT_NE(e.find("not the 8c06a76f0c6487d29ab0f903e6a7a7139f189ab3c1178f159c8be8964602f189"),
              std::string::npos)
        << e;
    EXPECT_TRUE(cache_entries().empty());
  }
  // A zip cut short.
  if (fs::exists(root_ / "served" / "cut" / "MUTAG.zip")) {
    const std::string e = failure("mutag", options("/cut"));
    EXPECT_NE(e.find("MUTAG.zip"), std::string::npos) << e;
    EXPECT_TRUE(cache_entries().empty()) << e;
  }
  // No server at all.
  download::DownloadOptions nowhere = options();
  nowhere.base_url = "http://127.0.0.1:1";
  EXPECT_NE(failure("esol", nowhere).find("http://127.0.0.1:1/delaney-processed.csv: "),
            std::string::npos);
  EXPECT_TRUE(cache_entries().empty());
  // A name heed does not know.
  EXPECT_NE(failure("imagenet", options())
                .find("heed data download: no dataset named \"imagenet\" (heed knows cora, "),
            std::string::npos);
}

TEST_F(Download, AFailedForcedDownloadKeepsTheCopyAlreadyThere) {
  fs::create_directories(cache_ / "esol");
  std::ofstream(cache_ / "esol" / "mine.txt") << "kept";
  download::DownloadOptions o = options("/nowhere");
  o.force = true;
  EXPECT_NE(failure("esol", o).find("HTTP 404"), std::string::npos);
  EXPECT_EQ(file_text(cache_ / "esol" / "mine.txt"), "kept");
  EXPECT_EQ(cache_entries(), std::vector<std::string>{"esol"});
}

TEST(DownloadCatalogue, NamesAreFoundWithoutRegardToCase) {
  ASSERT_TRUE(download::find_dataset("CiteSeer").has_value());
  EXPECT_EQ(download::find_dataset("CiteSeer")->format, download::SourceFormat::planetoid);
  EXPECT_EQ(download::find_dataset("tu:PROTEINS")->name, "proteins");
  EXPECT_EQ(download::find_dataset("tu:ABC")->remote_name, "ABC");
  EXPECT_FALSE(download::find_dataset("tu:../etc").has_value());
  EXPECT_FALSE(download::find_dataset("nothing").has_value());
  // Every pinned checksum is 64 hex digits.
  for (const auto& e : download::dataset_catalogue()) {
    for (const auto& [file, sha] : e.pinned) {
      EXPECT_EQ(sha.size(), 64u) << e.name << " " << file;
      EXPECT_EQ(sha.find_first_not_of("0123456789abcdef"), std::string::npos)
          << e.name << " " << file;
    }
  }
}

}  // namespace
}  // namespace heed
