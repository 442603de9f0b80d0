// The heed executable as a user runs it: exit codes, JSON fields, errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct Result {
  int status = -1;
  std::string out;  // stdout and stderr together
};

Result run(const std::string& args, bool with_stderr = true) {
  const std::string cmd =
      std::string("'") + HEED_CLI_PATH + "' " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  Result r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int raw = ::pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

TEST(HeedCli, TrainWritesJsonWithTheRequiredFields) {
  const Result r = run("train --nodes 400 --runs 2 --epochs 15 --seed 3 --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dataset"], "csbm");
  EXPECT_EQ(j["model"], "gat");
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["seed"], 3);
  EXPECT_EQ(j["runs"][1]["seed"], 4);
  EXPECT_EQ(j["runs"][0]["epochs"], 15);
  ASSERT_EQ(j["test_accuracy"].size(), 2u);
  const double a = j["test_accuracy"][0], b = j["test_accuracy"][1];
  EXPECT_NEAR(j["mean"].get<double>(), (a + b) / 2, 1e-12);
  EXPECT_GE(j["std"].get<double>(), 0.0);
  EXPECT_GT(j["wall_seconds"].get<double>(), 0.0);
  EXPECT_EQ(j["config"]["heads"], 8);
}

TEST(HeedCli, TrainsEachModel) {
  for (const char* model : {"gatv2", "gcn", "sage"}) {
    const Result r = run(
        std::string("train --model ") + model + " --nodes 400 --epochs 10 --heads 2 --json", false);
    ASSERT_EQ(r.status, 0) << model << ": " << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["model"], model);
    EXPECT_EQ(j["runs"][0]["epochs"], 10);
    if (std::string(model) != "gatv2") {
      EXPECT_EQ(j["config"]["hidden"], 16);  // the GCN paper's setting
      EXPECT_EQ(j["config"]["lr"], 0.01);
    }
  }
  EXPECT_NE(run("train --model transformer").status, 0);
}

TEST(HeedCli, QuietInAPipeAndPrintsASummary) {
  const Result r = run("train --nodes 300 --epochs 5 --heads 2 --hidden 4");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << "progress drawn into a pipe";
  EXPECT_NE(r.out.find("test accuracy:"), std::string::npos) << r.out;
}

TEST(HeedCli, MissingDatasetIsAClearError) {
  const Result r = run("train --data /no/such/dataset");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("heed: error: dataset \"/no/such/dataset\" not found"), std::string::npos)
      << r.out;
}

TEST(HeedCli, BadFlagsAreRejected) {
  EXPECT_NE(run("train --dropout 1.5").status, 0);
  EXPECT_NE(run("train --runs 0").status, 0);
  EXPECT_NE(run("train --no-such-flag").status, 0);
  EXPECT_NE(run("").status, 0);  // a subcommand is required
}

TEST(HeedCli, SameSeedSameJson) {
  auto accuracies = [] {
    const Result r = run("train --nodes 300 --epochs 10 --threads 1 --json", false);
    return nlohmann::json::parse(r.out)["test_accuracy"];
  };
  EXPECT_EQ(accuracies(), accuracies());
}

}  // namespace

namespace {

TEST(HeedBench, LayerMeasurementHasTheRequiredFields) {
  for (const char* layer : {"gat", "gatv2", "gcn"}) {
    const Result r = run(
        std::string("bench --layer ") + layer + " --nodes 2000 --edges 10000 --repeats 2 --json",
        false);
    ASSERT_EQ(r.status, 0) << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["layer"], layer);
    EXPECT_EQ(j["nodes"], 2000);
    EXPECT_EQ(j["edges"], 10000);
    EXPECT_GT(j["edges_with_self_loops"].get<double>(), 10000.0);
    EXPECT_GT(j["fwd_ms"].get<double>(), 0.0);
    EXPECT_GE(j["fwd_bwd_ms"].get<double>(), j["fwd_bwd_ms_min"].get<double>());
    EXPECT_LE(j["fwd_bwd_ms"].get<double>(), j["fwd_bwd_ms_max"].get<double>());
    EXPECT_GT(j["peak_rss_mib"].get<double>(), 1.0);
    EXPECT_GT(j["edges_per_second"].get<double>(), 0.0);
    EXPECT_GT(j["triad_gb_per_s"].get<double>(), 0.0);
    ASSERT_EQ(j["kernels"].size(), 3u);
    EXPECT_TRUE(j["kernels"][1].contains("fraction_of_triad")) << j["kernels"][1];
  }
}

TEST(HeedBench, PowerLawGraphAndTableOutput) {
  const Result r = run("bench --layer gcn --graph powerlaw --nodes 3000 --edges 20000 --repeats 1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("powerlaw"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("% of triad"), std::string::npos) << r.out;
}

TEST(HeedBench, EpochOnCora) {
  const std::string cora = std::string(HEED_TEST_DATA_DIR) + "/cora";
  if (!std::ifstream(cora + "/meta.json")) GTEST_SKIP() << "no " << cora;
  const Result r = run("bench --epoch --data '" + cora + "' --repeats 3 --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["layer"], "gat-2layer-epoch");
  EXPECT_EQ(j["nodes"], 2708);
  EXPECT_GT(j["fwd_bwd_ms"].get<double>(), j["fwd_ms"].get<double>() * 0.5);
}

TEST(HeedBench, BadArgumentsAreErrors) {
  EXPECT_NE(run("bench --layer gat --epoch").status, 0);
  EXPECT_NE(run("bench --layer transformer").status, 0);
  EXPECT_NE(run("bench --layer gat --nodes 0").status, 0);
}

}  // namespace
