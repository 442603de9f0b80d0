// The heed executable as a user runs it: exit codes, JSON fields, errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>

#include "support/local_http_server.hpp"
#include "support/synthetic_news.hpp"
#include "support/text_lines.hpp"
#include "support/tiny_dataset.hpp"

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

TEST(HeedCli, TrainJsonReportsEveryMetricOfEveryPart) {
  const Result r = run("train --nodes 300 --runs 2 --epochs 5 --heads 2 --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* part : {"train", "valid", "test"}) {
    for (const char* metric : {"accuracy", "micro_f1", "macro_f1", "loss"}) {
      const nlohmann::json& m = j["metrics"][part][metric];
      ASSERT_EQ(m["runs"].size(), 2u) << part << " " << metric;
      const double a = m["runs"][0], b = m["runs"][1];
      EXPECT_NEAR(m["mean"].get<double>(), (a + b) / 2, 1e-12) << part << " " << metric;
      EXPECT_GE(m["std"].get<double>(), 0.0);
    }
  }
  // The old fields are the same numbers.
  EXPECT_EQ(j["metrics"]["test"]["accuracy"]["runs"], j["test_accuracy"]);
  EXPECT_EQ(j["runs"][1]["metrics"]["valid"]["accuracy"], j["runs"][1]["val_accuracy"]);
}

TEST(HeedCli, GinOnCoraAndConvOptions) {
  const std::string cora = std::string(HEED_TEST_DATA_DIR) + "/cora";
  if (!std::ifstream(cora + "/meta.json")) GTEST_SKIP() << "no " << cora;
  const Result r =
      run("train --model gin --data '" + cora + "' --epochs 30 --conv-option train_eps=true --json",
          false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"], "gin");
  EXPECT_EQ(j["config"]["hidden_channels"], 64);  // its paper's width
  EXPECT_EQ(j["config"]["conv_options"]["train_eps"], 1.0);
  EXPECT_GT(j["test_accuracy"][0].get<double>(), 0.5);  // chance is 1/7
  const Result bad = run("train --model gcn --nodes 300 --conv-option share_weights=1");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("conv option 'share_weights' is not one of gcn's"), std::string::npos)
      << bad.out;
  EXPECT_NE(run("train --conv-option nonsense").status, 0);
}

TEST(HeedCli, CrossValidatesAWholeGraphDataset) {
  const std::string mutag = std::string(HEED_TEST_DATA_DIR) + "/mutag";
  if (!std::ifstream(mutag + "/meta.json")) GTEST_SKIP() << "no " << mutag;
  const Result r = run("train --data '" + mutag +
                           "' --model gin --folds 3 --runs 2 --epochs 3 --batch-size 16 "
                           "--readout-every-layer --json",
                       false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dataset"], "mutag");
  EXPECT_EQ(j["graph"]["graphs"], 188);
  EXPECT_EQ(j["graph"]["classes"], 2);
  EXPECT_EQ(j["graph"]["edge_features"], 4);
  EXPECT_EQ(j["config"]["folds"], 3);
  EXPECT_EQ(j["config"]["batch_size"], 16);
  EXPECT_EQ(j["config"]["readout"], "sum");  // gin's default
  EXPECT_EQ(j["config"]["readout_every_layer"], true);
  // Seed-major: seeds 0 and 1, each with folds 0, 1, 2.
  ASSERT_EQ(j["runs"].size(), 6u);
  for (std::size_t k = 0; k < 6; ++k) {
    EXPECT_EQ(j["runs"][k]["seed"], k / 3);
    EXPECT_EQ(j["runs"][k]["fold"], k % 3);
    EXPECT_EQ(j["runs"][k]["epochs"], 3);
  }
  EXPECT_EQ(j["metrics"]["test"]["accuracy"]["runs"].size(), 6u);
  EXPECT_EQ(j["test_accuracy"].size(), 6u);

  // Node-level flags do not apply, nor whole-graph flags to a node dataset.
  Result bad = run("train --data '" + mutag + "' --split public --epochs 1");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("--split is not available for whole-graph datasets"), std::string::npos)
      << bad.out;
  bad = run("train --nodes 100 --folds 10 --epochs 1");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("--folds applies to whole-graph datasets"), std::string::npos) << bad.out;
  bad = run("train --data '" + mutag + "' --folds 500 --epochs 1");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("between 3 and the number of graphs (188)"), std::string::npos) << bad.out;
}

TEST(HeedCli, TrainsOnMoleculesFromSmiles) {
  const std::string esol = std::string(HEED_TEST_DATA_DIR) + "/esol";
  if (!std::ifstream(esol + "/meta.json")) GTEST_SKIP() << "no " << esol;
  const Result r = run("train --data '" + esol + "' --epochs 2 --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["graph"]["graphs"], 1128);
  EXPECT_EQ(j["graph"]["targets"], 1);
  EXPECT_EQ(j["graph"]["features"], 177);
  EXPECT_EQ(j["config"]["edge_dim"], 30);  // the GAT takes the bond features
  EXPECT_FALSE(j.contains("test_accuracy"));
  EXPECT_GT(j["metrics"]["test"]["rmse"]["mean"].get<double>(), 0.0);
  EXPECT_FALSE(j["runs"][0].contains("fold"));
  const Result bad = run("train --data '" + esol + "' --folds 5 --epochs 1");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("a regression dataset takes random splits"), std::string::npos) << bad.out;
}

TEST(HeedCli, WlExperimentPrintsItsTableAndJson) {
  Result r = run("experiment wl --seeds 2");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("decalin / bicyclopentyl"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tells apart"), std::string::npos) << r.out;
  r = run("experiment wl --seeds 2 --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["experiment"], "wl");
  ASSERT_EQ(j["results"].size(), 5u);
  EXPECT_EQ(j["results"][0]["wl_indistinguishable"], true);
  EXPECT_LT(j["results"][0]["largest_difference"]["gin"].get<double>(), 1e-6);
  EXPECT_EQ(j["results"][4]["wl_indistinguishable"], false);
  EXPECT_GT(j["results"][4]["largest_difference"]["gin"].get<double>(), 1e-3);
}

TEST(HeedCli, AgNewsExperimentPrintsItsTableAndJson) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("heed-cli-news-" + std::to_string(::getpid()));
  heed::testing::write_gz(dir / "test.csv.gz", heed::testing::synthetic_news_csv(20));
  const std::string base = "experiment ag-news --data " + dir.string() +
                           " --seeds 2 --layers 1 --epochs 2 --width 8 --heads 2 --batch-size 16";
  const std::string common = base + " --split 60,10,10";
  Result r = run(common + " --models gat-window,transformer");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("gat-window"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test acc % (mean +- std)"), std::string::npos) << r.out;
  r = run(common + " --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["experiment"], "ag-news");
  EXPECT_EQ(j["documents"], 80);
  ASSERT_EQ(j["results"].size(), 3u);
  EXPECT_EQ(j["results"][1]["model"], "transformer");
  EXPECT_EQ(j["results"][1]["test_accuracy"].size(), 2u);
  EXPECT_LE(j["results"][1]["min"].get<double>(), j["results"][1]["max"].get<double>());
  r = run(base + " --split 60,10,11");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("stratified split: sizes 60 / 10 / 11"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(HeedCli, VersionNamesTheBuild) {
  const Result r = run("--version", false);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.rfind("heed 0.", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("BLAS: OpenBLAS"), std::string::npos) << r.out;
  // The BLAS threading is named: a pthreads build costs heed's kernels cores.
  const bool threading_named = r.out.find("OpenBLAS (OpenMP)") != std::string::npos ||
                               r.out.find("OpenBLAS (pthreads)") != std::string::npos ||
                               r.out.find("OpenBLAS (sequential)") != std::string::npos;
  EXPECT_TRUE(threading_named) << r.out;
  EXPECT_NE(r.out.find("OpenMP: "), std::string::npos) << r.out;
}

TEST(HeedCli, TrainsEachModel) {
  for (const char* model : {"gatv2", "gcn", "sage", "gin", "transformer"}) {
    const Result r = run(
        std::string("train --model ") + model + " --nodes 400 --epochs 10 --heads 2 --json", false);
    ASSERT_EQ(r.status, 0) << model << ": " << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["model"], model);
    EXPECT_EQ(j["runs"][0]["epochs"], 10);
    if (std::string(model) == "gcn" || std::string(model) == "sage") {
      EXPECT_EQ(j["config"]["hidden_channels"], 16);  // the GCN paper's setting
      EXPECT_EQ(j["config"]["lr"], 0.01);
    }
  }
  EXPECT_NE(run("train --model graphormer").status, 0);
  // The transformer's attention on the edges and as a masked dense product.
  for (const char* attention : {"graph", "dense-masked", "graph+dense"}) {
    const Result r = run(std::string("train --model transformer --attention ") + attention +
                             " --nodes 300 --epochs 5 --heads 2 --hidden 4 --json",
                         false);
    ASSERT_EQ(r.status, 0) << attention << ": " << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["config"]["attention"], attention);
  }
}

TEST(HeedCli, TransformerWithLaplacianEncodingsAndPreNorm) {
  const Result r =
      run("train --model transformer --attention graph+dense --lpe 4 --norm-first --layers 3 "
          "--nodes 300 --epochs 5 --heads 2 --hidden 4 --json",
          false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["config"]["laplacian_k"], 4);
  EXPECT_EQ(j["config"]["norm_first"], true);
  // Transformer flags on another model are errors that say so.
  for (const char* flag : {"--lpe 4", "--norm-first", "--attention dense", "--ffn-hidden 8"}) {
    const Result bad = run(std::string("train --model gat ") + flag);
    EXPECT_NE(bad.status, 0) << flag;
    EXPECT_NE(bad.out.find("applies to the transformer only"), std::string::npos) << flag << "\n"
                                                                                  << bad.out;
  }
}

TEST(HeedCli, TransformerExperimentsPrintTablesAndJson) {
  const std::string cora = std::string(HEED_TEST_DATA_DIR) + "/cora";
  if (!std::ifstream(cora + "/meta.json")) GTEST_SKIP() << "no " << cora;
  // Tiny models and two epochs: the shape of the output, not the study.
  const std::string small = " --data '" + cora +
                            "' --runs 2 --layers 1 --width 8 --heads 2 --lpe 2 --epochs 2 "
                            "--threads 1";
  const Result r = run("experiment weight-transfer" + small + " --json", false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["experiment"], "weight-transfer");
  ASSERT_EQ(j["results"].size(), 2u);
  for (const nlohmann::json& row : j["results"]) {
    ASSERT_EQ(row["runs"].size(), 2u);
    EXPECT_EQ(row["runs"][1]["seed"], 1);
    for (const nlohmann::json& run : row["runs"]) {
      EXPECT_GE(run["masked_test_accuracy"].get<double>(), 0.0);
      EXPECT_LE(run["masked_test_accuracy"].get<double>(), 1.0);
    }
  }
  EXPECT_EQ(j["results"][1]["spec"]["laplacian_k"], 2);
  const Result table = run("experiment transformers-are-gnns --rows gat,edges-lpe" + small, true);
  ASSERT_EQ(table.status, 0) << table.out;
  EXPECT_NE(table.out.find("1-layer GAT"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("1-layer transformer on edges only + LPE"), std::string::npos)
      << table.out;
  const Result bad = run("experiment transformers-are-gnns --rows nope" + small);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("no row 'nope'"), std::string::npos) << bad.out;
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

// Flags out of range: the message names the flag and the problem.
TEST(HeedCli, FlagsOutOfRangeAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"train --heads 0", "--heads: Value 0 not in range 1 to"},
      {"train --dropout 1.5", "--dropout: Value 1.5 not in range"},
      {"train --lr -0.1", "--lr: must be a number greater than 0, got '-0.1'"},
      {"train --lr nan", "--lr: must be a number greater than 0, got 'nan'"},
      {"train --weight-decay -1", "--weight-decay: must be a number of at least 0, got '-1'"},
      {"train --layers 0", "--layers: Value 0 not in range 1 to 1024"},
      {"train --norm group", "--norm: group not in {none,layer,batch}"},
      {"train --model graphormer",
       "--model: graphormer not in {gat,gatv2,gcn,sage,gin,transformer}"},
      {"train --runs 0", "--runs: Value 0 not in range 1 to"},
      {"explain --model m.heed --node -3 --out n.svg",
       "--node: must be a number of at least 0, got '-3'"},
  };
  for (const auto& [args, message] : cases) {
    const Result r = run(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.out.find(message), std::string::npos) << args << "\n" << r.out;
  }
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
    // The projections (two for GATv2), the catalogue's forward and backward,
    // then the weights' gradients.
    const std::size_t weights = std::string(layer) == "gatv2" ? 2 : 1;
    ASSERT_EQ(j["kernels"].size(), 2 * weights + 2);
    const nlohmann::json& backward = j["kernels"][weights + 1];
    EXPECT_EQ(backward["name"],
              std::string(layer == std::string("gcn") ? "scaled_aggregate"
                                                      : std::string(layer) + "_attention") +
                  "_backward");
    EXPECT_EQ(backward["pass"], "bwd");
    EXPECT_EQ(j["kernels"][0]["pass"], "fwd");
    EXPECT_TRUE(backward.contains("fraction_of_triad")) << backward;
    // The budget: the kernels' sum, and the share of the layer's time outside them.
    double forward = 0, all = 0, all_min = 0;
    for (const nlohmann::json& k : j["kernels"]) {
      all += k["ms"].get<double>();
      all_min += k["ms_min"].get<double>();
      if (k["pass"] == "fwd") forward += k["ms"].get<double>();
    }
    EXPECT_NEAR(j["fwd_bwd_overhead_share_min"].get<double>(),
                1 - all_min / j["fwd_bwd_ms_min"].get<double>(), 1e-9);
    EXPECT_NEAR(j["fwd_kernels_ms"].get<double>(), forward, 1e-9);
    EXPECT_NEAR(j["fwd_bwd_kernels_ms"].get<double>(), all, 1e-9);
    EXPECT_NEAR(j["fwd_bwd_overhead_share"].get<double>(), 1 - all / j["fwd_bwd_ms"].get<double>(),
                1e-9);
    EXPECT_LT(j["fwd_bwd_overhead_share"].get<double>(), 1.0);
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
  // Times are only checked to be there: comparing them would make the test
  // depend on the machine's load.
  EXPECT_GT(j["fwd_ms"].get<double>(), 0.0);
  EXPECT_GT(j["fwd_bwd_ms"].get<double>(), 0.0);
}

TEST(HeedBench, EpochOnWholeGraphDatasets) {
  for (const char* name : {"mutag", "esol"}) {
    const std::string dir = std::string(HEED_TEST_DATA_DIR) + "/" + name;
    if (!std::ifstream(dir + "/meta.json")) GTEST_SKIP() << "no " << dir;
    const Result r = run("bench --epoch --data '" + dir + "' --repeats 2 --json", false);
    ASSERT_EQ(r.status, 0) << r.out;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["layer"], "gat-2layer-graph-epoch");
    EXPECT_EQ(j["data"], name);
    EXPECT_EQ(j["graphs"], std::string(name) == "mutag" ? 188 : 1128);
    EXPECT_EQ(j["batch_size"], 128);
    EXPECT_GT(j["epoch_ms"].get<double>(), 0.0);
    EXPECT_LE(j["epoch_ms_min"].get<double>(), j["epoch_ms"].get<double>());
    EXPECT_GE(j["epoch_ms_max"].get<double>(), j["epoch_ms"].get<double>());
  }
}

TEST(HeedBench, AttentionCrossoverReportsBothPathsAndTheCrossover) {
  const Result r =
      run("bench --attention-crossover --crossover-nodes 200 --densities 0.01,1 --repeats 1 --json",
          false);
  ASSERT_EQ(r.status, 0) << r.out;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 3u);            // two densities and the summary
  EXPECT_EQ(rows[0]["edges"], 200 * 2);  // round(0.01 * 200) in-neighbours each
  EXPECT_EQ(rows[1]["edges"], 200 * 200);
  for (int i = 0; i < 2; ++i) {
    for (const char* key :
         {"sparse_fwd_ms", "dense_fwd_ms", "sparse_fwd_bwd_ms", "dense_fwd_bwd_ms"}) {
      EXPECT_GT(rows[std::size_t(i)][key].get<double>(), 0.0) << key;
    }
  }
  EXPECT_EQ(rows[2]["benchmark"], "attention_crossover_summary");
  EXPECT_TRUE(rows[2].contains("dense_wins_from_density_fwd_bwd"));
  EXPECT_NE(run("bench --attention-crossover --layer gat").status, 0);
}

TEST(HeedBench, ThreadScalingSetsOneThreadBesideTwo) {
  const Result r =
      run("bench --layer gat --nodes 2000 --edges 10000 --repeats 2 --threads 2 --thread-scaling "
          "--json",
          false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["benchmark"], "thread_scaling");
  EXPECT_EQ(j["layer"], "gat");
  EXPECT_EQ(j["threads"], nlohmann::json({1, 2}));
  for (const char* key : {"fwd_ms", "fwd_bwd_ms"}) {
    ASSERT_EQ(j[key].size(), 2u) << key;
    EXPECT_GT(j[key][0].get<double>(), 0.0);
    EXPECT_GT(j[key][1].get<double>(), 0.0);
  }
  EXPECT_NEAR(j["speedup_fwd_bwd"].get<double>(),
              j["fwd_bwd_ms"][0].get<double>() / j["fwd_bwd_ms"][1].get<double>(), 1e-9);
  // The projection, the attention's forward and backward, the weight's gradient.
  ASSERT_EQ(j["kernels"].size(), 4u);
  for (const nlohmann::json& k : j["kernels"]) {
    EXPECT_NEAR(k["speedup"].get<double>(), k["ms"][0].get<double>() / k["ms"][1].get<double>(),
                1e-9);
  }
  EXPECT_TRUE(j["not_scaling"].is_array());
  EXPECT_NE(run("bench --attention-crossover --thread-scaling").status, 0);
}

TEST(HeedBench, BadArgumentsAreErrors) {
  EXPECT_NE(run("bench --layer gat --epoch").status, 0);
  EXPECT_NE(run("bench --layer transformer").status, 0);
  EXPECT_NE(run("bench --layer gat --nodes 0").status, 0);
}

}  // namespace

namespace {

namespace fs = std::filesystem;

// A folder of its own for files the commands write, removed afterwards.
struct Scratch {
  fs::path dir =
      fs::temp_directory_path() / ("heed-cli-test-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Scratch() { fs::create_directories(dir); }
  ~Scratch() { fs::remove_all(dir); }
  // Quoted for the shell.
  std::string file(const char* name) const {
    std::string quoted = "'";
    quoted += (dir / name).string();
    quoted += '\'';
    return quoted;
  }
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr const char* kSmallGraph = "--nodes 400 --epochs 30 --heads 2 --hidden 4";

TEST(HeedModelFiles, EvalReproducesTheTrainingRunsTestAccuracy) {
  Scratch scratch;
  const Result t = run(std::string("train ") + kSmallGraph +
                           " --runs 2 --threads 1 --json --save " + scratch.file("m.heed"),
                       false);
  ASSERT_EQ(t.status, 0) << t.out;
  const nlohmann::json trained = nlohmann::json::parse(t.out);
  const Result e = run("eval --threads 1 --json --model " + scratch.file("m.heed"), false);
  ASSERT_EQ(e.status, 0) << e.out;
  const nlohmann::json j = nlohmann::json::parse(e.out);
  // The run kept is the one with the best validation accuracy.
  const auto& runs = trained["runs"];
  const std::size_t best = runs[1]["val_accuracy"] > runs[0]["val_accuracy"] ? 1 : 0;
  EXPECT_EQ(j["test_accuracy"], runs[best]["test_accuracy"]);
  EXPECT_EQ(j["val_accuracy"], runs[best]["val_accuracy"]);
  EXPECT_EQ(j["trained"]["seed"], runs[best]["seed"]);
  EXPECT_EQ(j["dataset"], "csbm");
}

TEST(HeedModelFiles, DeepStacksSaveAndReportSmoothness) {
  Scratch scratch;
  const Result t = run(std::string("train ") + kSmallGraph +
                           " --model gcn --layers 4 --residual --norm layer --smoothness --json "
                           "--save " +
                           scratch.file("m.heed"),
                       false);
  ASSERT_EQ(t.status, 0) << t.out;
  const nlohmann::json j = nlohmann::json::parse(t.out);
  EXPECT_EQ(j["config"]["layers"], 4);
  EXPECT_EQ(j["config"]["residual"], true);
  EXPECT_EQ(j["config"]["norm"], "layer");
  EXPECT_GT(j["runs"][0]["mean_pairwise_distance"].get<double>(), 0.0);
  EXPECT_GT(j["runs"][0]["dirichlet_energy"].get<double>(), 0.0);
  const Result e = run("eval --json --model " + scratch.file("m.heed"), false);
  ASSERT_EQ(e.status, 0) << e.out;
  EXPECT_EQ(nlohmann::json::parse(e.out)["test_accuracy"], j["runs"][0]["test_accuracy"]);
}

TEST(HeedModelFiles, AttentionCsvSumsToOnePerDestinationAndHead) {
  Scratch scratch;
  ASSERT_EQ(run(std::string("train ") + kSmallGraph + " --save " + scratch.file("m.heed")).status,
            0);
  const Result a =
      run("attention --model " + scratch.file("m.heed") + " --out " + scratch.file("a.csv"));
  ASSERT_EQ(a.status, 0) << a.out;
  std::istringstream csv(read(scratch.dir / "a.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "layer,src,dst,head,alpha");
  std::map<std::tuple<int, int, int>, double> sums;
  std::map<int, std::size_t> rows_per_layer;
  while (std::getline(csv, line)) {
    int layer, src, dst, head;
    double alpha;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d,%d,%d,%d,%lf", &layer, &src, &dst, &head, &alpha), 5)
        << line;
    EXPECT_GE(alpha, 0.0);
    sums[{layer, dst, head}] += alpha;
    ++rows_per_layer[layer];
  }
  ASSERT_EQ(rows_per_layer.size(), 2u);
  // Two hidden heads, one output head, over the same edges.
  EXPECT_EQ(rows_per_layer[0], 2 * rows_per_layer[1]);
  EXPECT_EQ(sums.size(), 400u * 3);
  for (const auto& [key, sum] : sums) EXPECT_NEAR(sum, 1.0, 1e-5);
}

TEST(HeedModelFiles, ExplainDrawsAnSvgThatRendersToPng) {
  Scratch scratch;
  ASSERT_EQ(run(std::string("train ") + kSmallGraph + " --save " + scratch.file("m.heed")).status,
            0);
  const Result x = run("explain --model " + scratch.file("m.heed") + " --node 42 --out " +
                       scratch.file("n.svg"));
  ASSERT_EQ(x.status, 0) << x.out;
  const std::string svg = read(scratch.dir / "n.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("node 42: predicted class"), std::string::npos);
  EXPECT_NE(svg.find("<line"), std::string::npos);
  if (std::system("command -v rsvg-convert > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "rsvg-convert is not installed (Debian: librsvg2-bin)";
  }
  const std::string render =
      "rsvg-convert " + scratch.file("n.svg") + " -o " + scratch.file("n.png") + " 2>&1";
  ASSERT_EQ(std::system(render.c_str()), 0);
  const std::string png = read(scratch.dir / "n.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

TEST(HeedModelFiles, ClearErrors) {
  Scratch scratch;
  Result r = run("eval --model " + scratch.file("none.heed"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("none.heed: cannot open the checkpoint"), std::string::npos) << r.out;

  std::ofstream(scratch.dir / "text.heed") << "not a model\n";
  r = run("eval --model " + scratch.file("text.heed"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("text.heed: truncated"), std::string::npos) << r.out;

  ASSERT_EQ(
      run(std::string("train --model gcn ") + kSmallGraph + " --save " + scratch.file("gcn.heed"))
          .status,
      0);
  r = run("attention --model " + scratch.file("gcn.heed") + " --out " + scratch.file("a.csv"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("a gcn model has no attention layers"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(scratch.dir / "a.csv"));

  // A truncated checkpoint.
  const std::string whole = read(scratch.dir / "gcn.heed");
  std::ofstream(scratch.dir / "cut.heed", std::ios::binary) << whole.substr(0, whole.size() - 9);
  r = run("eval --model " + scratch.file("cut.heed"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("checksum mismatch"), std::string::npos) << r.out;

  ASSERT_EQ(run(std::string("train ") + kSmallGraph + " --save " + scratch.file("m.heed")).status,
            0);
  r = run("explain --model " + scratch.file("m.heed") + " --node 400 --out " +
          scratch.file("n.svg"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--node 400 is outside csbm's nodes [0, 400)"), std::string::npos) << r.out;
  // The model was trained on 32 features; another graph's 16 do not fit.
  r = run("eval --model " + scratch.file("m.heed") + " --data '" + HEED_TEST_DATA_DIR + "/cora'");
  if (fs::exists(fs::path(HEED_TEST_DATA_DIR) / "cora")) {
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("the model takes 32 features"), std::string::npos) << r.out;
  }
}

}  // namespace

namespace {

// Starts heed with `args` (split on spaces), output discarded; returns its pid.
pid_t start_heed(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(HEED_CLI_PATH)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execv(HEED_CLI_PATH, argv.data());
    ::_exit(127);
  }
  return pid;
}

// Twelve small molecules with made-up solubilities, as a MoleculeNet CSV.
void write_tiny_molecules(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream out(dir / "molecules.csv");
  out << "smiles,logS\n"
         "CCO,0.1\nc1ccccc1O,-0.04\nCC(=O)O,1.1\nCCN,-0.5\nc1ccncc1,0.8\nCCCCCC,-3.8\n"
         "ClCCl,-0.6\nOCC(O)CO,1.0\nCC(C)O,0.4\nc1ccc2ccccc2c1,-3.6\nCC#N,0.3\nO=C=O,-1.0\n";
}

// A TUDataset of twelve graphs: triangles (class 1) at even indices, paths
// of four nodes (class 0) at odd ones; node labels alternate 0, 1.
void write_tiny_tu(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream a(dir / "TINY_A.txt"), ind(dir / "TINY_graph_indicator.txt"),
      labels(dir / "TINY_graph_labels.txt"), nodes(dir / "TINY_node_labels.txt");
  int next = 1;
  for (int g = 0; g < 12; ++g) {
    const bool triangle = g % 2 == 0;
    const int n = triangle ? 3 : 4;
    std::vector<std::pair<int, int>> e = {{0, 1}, {1, 2}, {triangle ? 2 : 2, triangle ? 0 : 3}};
    for (auto [u, v] : e) {
      a << next + u << ", " << next + v << "\n" << next + v << ", " << next + u << "\n";
    }
    for (int i = 0; i < n; ++i) {
      ind << g + 1 << "\n";
      nodes << i % 2 << "\n";
    }
    labels << (triangle ? 1 : 0) << "\n";
    next += n;
  }
}

// The data-weight attributes of the SVG's elements of one class, in order.
std::vector<double> svg_weights(const std::string& svg, const std::string& cls) {
  std::vector<double> out;
  const std::string element = "class=\"" + cls + "\"";
  for (std::size_t at = svg.find(element); at != std::string::npos;
       at = svg.find(element, at + 1)) {
    const std::size_t w = svg.find("data-weight=\"", at);
    out.push_back(std::stod(svg.substr(w + 13)));
  }
  return out;
}

void expect_renders(const Scratch& scratch, const char* svg) {
  if (std::system("command -v rsvg-convert > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "rsvg-convert is not installed (Debian: librsvg2-bin)";
  }
  const std::string render =
      std::string("rsvg-convert ") + scratch.file(svg) + " -o " + scratch.file("out.png") + " 2>&1";
  ASSERT_EQ(std::system(render.c_str()), 0);
  const std::string png = read(scratch.dir / "out.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

TEST(HeedGraphExplain, MoleculeDrawnByRDKitWithAtomsAndBondsShaded) {
  Scratch scratch;
  write_tiny_molecules(scratch.dir / "mols");
  const Result t =
      run("train --data " + scratch.file("mols") +
          " --model gat --readout attention --epochs 3 --save " + scratch.file("m.heed"));
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("saved the model with the best validation score"), std::string::npos);
  // Graph 1 is phenol: 7 atoms, 7 bonds.
  const Result x = run("explain --model " + scratch.file("m.heed") + " --graph 1 --out " +
                       scratch.file("mol.svg"));
  ASSERT_EQ(x.status, 0) << x.out;
  EXPECT_NE(x.out.find("graph 1 (7 nodes, 7 edges)"), std::string::npos) << x.out;
  const std::string svg = read(scratch.dir / "mol.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("<title>mols graph 1"), std::string::npos);
  EXPECT_NE(svg.find("predicted "), std::string::npos);
  for (int b = 0; b < 7; ++b) {
    EXPECT_NE(svg.find("bond-" + std::to_string(b) + " "), std::string::npos) << "bond " << b;
  }
  EXPECT_EQ(svg.find("bond-7 "), std::string::npos);
  // The most attended atom and bond are shaded in the full colour,
  // (1, 0.35, 0.15) in RDKit's hex.
  EXPECT_NE(svg.find("#FF5926"), std::string::npos);
  expect_renders(scratch, "mol.svg");
}

TEST(HeedGraphExplain, GraphWithoutCoordinatesDrawnByAForceLayout) {
  Scratch scratch;
  write_tiny_tu(scratch.dir / "tiny");
  const Result t = run("train --data " + scratch.file("tiny") +
                           " --model gat --epochs 3 --json --save " + scratch.file("m.heed"),
                       false);
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("\"saved\""), std::string::npos);
  // Graph 3 is a path of four nodes: three edges.
  const Result x = run("explain --model " + scratch.file("m.heed") + " --graph 3 --out " +
                       scratch.file("g.svg"));
  ASSERT_EQ(x.status, 0) << x.out;
  const std::string svg = read(scratch.dir / "g.svg");
  const std::vector<double> nodes = svg_weights(svg, "node"), edges = svg_weights(svg, "edge");
  ASSERT_EQ(nodes.size(), 4u);
  ASSERT_EQ(edges.size(), 3u);
  // Each layer's coefficients into a node sum to 1 over its in-edges and
  // loop, so the attention the nodes send sums to the node count.
  double sent = 0;
  for (double w : nodes) sent += w;
  EXPECT_NEAR(sent, 4.0, 1e-4);
  for (double w : edges) {
    EXPECT_GT(w, 0.0);
    EXPECT_LT(w, 1.0);
  }
  EXPECT_NE(svg.find("TINY graph 3"), std::string::npos);
  EXPECT_NE(svg.find("true class 0"), std::string::npos);
  // The node labels from the file are written in the nodes.
  EXPECT_NE(svg.find(">1</text>"), std::string::npos);
  expect_renders(scratch, "g.svg");

  // With attention pooling the node weights are the pooling's: they sum to 1.
  ASSERT_EQ(run("train --data " + scratch.file("tiny") +
                " --model gatv2 --readout attention --epochs 2 --save " + scratch.file("p.heed"))
                .status,
            0);
  ASSERT_EQ(
      run("explain --model " + scratch.file("p.heed") + " --graph 0 --out " + scratch.file("p.svg"))
          .status,
      0);
  const std::vector<double> pooled = svg_weights(read(scratch.dir / "p.svg"), "node");
  ASSERT_EQ(pooled.size(), 3u);
  double total = 0;
  for (double w : pooled) total += w;
  EXPECT_NEAR(total, 1.0, 1e-4);
}

TEST(HeedGraphExplain, ClearErrors) {
  Scratch scratch;
  write_tiny_tu(scratch.dir / "tiny");
  ASSERT_EQ(run("train --data " + scratch.file("tiny") + " --model gat --epochs 2 --save " +
                scratch.file("g.heed"))
                .status,
            0);
  Result r = run("explain --model " + scratch.file("g.heed") + " --graph 12 --out " +
                 scratch.file("x.svg"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--graph 12 is outside TINY's graphs [0, 12)"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(scratch.dir / "x.svg"));
  r = run("explain --model " + scratch.file("g.heed") + " --node 1 --out " + scratch.file("x.svg"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("a whole-graph model"), std::string::npos) << r.out;
  r = run("eval --model " + scratch.file("g.heed"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("a whole-graph model"), std::string::npos) << r.out;
  r = run("explain --model " + scratch.file("g.heed") + " --graph 1 --node 1 --out " +
          scratch.file("x.svg"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("excludes"), std::string::npos) << r.out;

  ASSERT_EQ(run("train --data " + scratch.file("tiny") + " --model gin --epochs 2 --save " +
                scratch.file("gin.heed"))
                .status,
            0);
  r = run("explain --model " + scratch.file("gin.heed") + " --graph 1 --out " +
          scratch.file("x.svg"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("a gin model with a sum readout has no attention to draw"),
            std::string::npos)
      << r.out;

  ASSERT_EQ(run(std::string("train ") + kSmallGraph + " --save " + scratch.file("n.heed")).status,
            0);
  r = run("explain --model " + scratch.file("n.heed") + " --graph 0 --out " +
          scratch.file("x.svg"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("has no graphs to draw; explain one of its nodes with --node N"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(scratch.dir / "x.svg"));
}

TEST(HeedCheckpoints, KilledWhileSavingTheCheckpointStaysWholeAndResumesToTheSameResult) {
  Scratch scratch;
  const std::string file = (scratch.dir / "run.heed").string();
  const std::string common = "--nodes 2000 --epochs 150 --patience 30 --threads 2 --seed 5";
  const Result whole = run("train " + common + " --json", false);
  ASSERT_EQ(whole.status, 0) << whole.out;
  const nlohmann::json expected = nlohmann::json::parse(whole.out)["runs"][0];

  // Saving after every epoch, killed with SIGKILL at several moments: each
  // time the file on disk must be a whole checkpoint (never half written).
  std::vector<std::string> args{
      "train", "--nodes", "2000", "--epochs",     "150", "--patience",         "30", "--threads",
      "2",     "--seed",  "5",    "--checkpoint", file,  "--checkpoint-every", "1"};
  for (int delay_ms : {0, 7, 23, 41}) {
    fs::remove(file);
    const pid_t pid = start_heed(args);
    ASSERT_GT(pid, 0);
    // Wait for the first checkpoint, then a little more, then kill.
    for (int k = 0; k < 3000 && !fs::exists(file); ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(fs::exists(file)) << "no checkpoint appeared";
    const Result e = run("eval --model '" + file + "' --json", false);
    ASSERT_EQ(e.status, 0) << "after a kill " << delay_ms << " ms in: " << e.out;
  }
  // No temporary files left behind but the checkpoint and, at most, the one
  // being written when the process died.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(scratch.dir)) ++entries;
  EXPECT_LE(entries, 2u);

  const Result resumed = run("train --resume '" + file + "' --threads 2 --json", false);
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  const nlohmann::json got = nlohmann::json::parse(resumed.out)["runs"][0];
  for (const char* field : {"test_accuracy", "val_accuracy", "val_loss", "epochs", "best_epoch"}) {
    EXPECT_EQ(got[field], expected[field]) << field;
  }
}

TEST(HeedCheckpoints, ResumeRefusesOtherSettingsAndFilesWithoutState) {
  Scratch scratch;
  ASSERT_EQ(run(std::string("train ") + kSmallGraph + " --save " + scratch.file("m.heed")).status,
            0);
  Result r = run("train --resume " + scratch.file("m.heed"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("holds no training state"), std::string::npos) << r.out;
  r = run("train --resume " + scratch.file("m.heed") + " --lr 0.1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("--resume takes the run's settings from the file; drop --lr"),
            std::string::npos)
      << r.out;
  r = run("train --runs 2 --checkpoint " + scratch.file("c.heed"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("use it with --runs 1"), std::string::npos) << r.out;
}

}  // namespace

using heed::testing::csv_numbers;
using heed::testing::text_lines;

// The fixture PyG trained, through the commands a user runs: heed import,
// predict and attention give PyG's logits and attention.
TEST(HeedCli, ImportedPyGModelGivesPyGsLogitsAndAttention) {
  const std::string fixture = std::string(HEED_TEST_FIXTURES_DIR) + "/pyg-gat-cora";
  const std::string cora = std::string(HEED_TEST_DATA_DIR) + "/cora";
  if (!std::ifstream(fixture + "/model.json") || !std::ifstream(cora + "/meta.json")) {
    GTEST_SKIP() << "needs " << fixture << " and " << cora;
  }
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "heed-cli-pyg";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string model = (dir / "m.heed").string();
  Result r = run("import --pyg '" + fixture + "' --out '" + model + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("imported gat -> elu -> gat"), std::string::npos) << r.out;
  const std::string logits = (dir / "logits.csv").string();
  r = run("predict --model '" + model + "' --data '" + cora + "' --out '" + logits + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  const std::vector<std::string> got = text_lines(logits);
  const std::vector<std::string> want = text_lines(fixture + "/logits.csv.gz");
  ASSERT_EQ(got.size(), 2708u);
  ASSERT_EQ(want.size(), got.size());
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::vector<double> g = csv_numbers(got[i]), w = csv_numbers(want[i]);
    ASSERT_EQ(g.size(), w.size());
    for (std::size_t k = 0; k < g.size(); ++k) worst = std::max(worst, std::abs(g[k] - w[k]));
    EXPECT_EQ(std::max_element(g.begin(), g.end()) - g.begin(),
              std::max_element(w.begin(), w.end()) - w.begin())
        << "node " << i;
  }
  EXPECT_LE(worst, 1e-4);

  const std::string attention = (dir / "attention.csv").string();
  r = run("attention --model '" + model + "' --data '" + cora + "' --out '" + attention + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  // heed's rows: layer,src,dst,head,alpha.
  std::map<std::tuple<int, int, int, int>, double> alpha;
  const std::vector<std::string> rows = text_lines(attention);
  for (std::size_t k = 1; k < rows.size(); ++k) {
    const std::vector<double> v = csv_numbers(rows[k]);
    alpha[{int(v[0]), int(v[1]), int(v[2]), int(v[3])}] = v[4];
  }
  std::size_t compared = 0;
  for (int layer = 0; layer < 2; ++layer) {
    const std::vector<std::string> pyg =
        text_lines(fixture + "/attention-conv" + std::to_string(layer + 1) + ".csv.gz");
    double worst_alpha = 0;
    for (std::size_t k = 1; k < pyg.size(); ++k) {
      const std::vector<double> v = csv_numbers(pyg[k]);
      for (std::size_t h = 2; h < v.size(); ++h) {
        auto it = alpha.find({layer, int(v[0]), int(v[1]), int(h - 2)});
        ASSERT_NE(it, alpha.end()) << "layer " << layer << ": " << pyg[k];
        worst_alpha = std::max(worst_alpha, std::abs(it->second - v[h]));
        ++compared;
      }
    }
    EXPECT_LE(worst_alpha, 1e-5) << "layer " << layer;
  }
  EXPECT_EQ(compared, alpha.size()) << "every coefficient heed wrote was compared";
  std::filesystem::remove_all(dir);
}

// A GAT heed trained on Cora, exported to PyG's layout and imported again,
// gives the very same logits.
TEST(HeedCli, ExportThenImportKeepsTheLogits) {
  const std::string cora = std::string(HEED_TEST_DATA_DIR) + "/cora";
  if (!std::ifstream(cora + "/meta.json")) GTEST_SKIP() << "no " << cora;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "heed-cli-export";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string trained = (dir / "trained.heed").string();
  Result r = run("train --data '" + cora + "' --epochs 20 --threads 1 --save '" + trained + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  r = run("export --pyg --model '" + trained + "' --out '" + (dir / "pyg").string() + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json description =
      nlohmann::json::parse(std::ifstream(dir / "pyg" / "model.json"));
  EXPECT_EQ(description["layers"][1]["cls"], "GATConv");
  EXPECT_EQ(description["layers"][1]["heads"], 8);
  const std::string imported = (dir / "imported.heed").string();
  r = run("import --pyg '" + (dir / "pyg").string() + "' --out '" + imported + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  for (const std::string& m : {trained, imported}) {
    r = run("predict --model '" + m + "' --out '" + m + ".csv'");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  const std::vector<std::string> a = text_lines(trained + ".csv"),
                                 b = text_lines(imported + ".csv");
  ASSERT_EQ(a.size(), 2708u);
  EXPECT_EQ(a, b);
  std::filesystem::remove_all(dir);
}

TEST(HeedCli, ImportRefusesAnUnsupportedModuleByName) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "heed-cli-bad-pyg";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "model.json")
      << R"({"layers": [{"name": "conv1", "cls": "TransformerConv", "in_channels": 4}]})";
  std::ofstream(dir / "model.safetensors") << std::string(8, '\0');
  const Result r =
      run("import --pyg '" + dir.string() + "' --out '" + (dir / "m.heed").string() + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("layer 0 (conv1): TransformerConv is not supported"), std::string::npos)
      << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.heed"));
  std::filesystem::remove_all(dir);
}

// heed data download from a local server (no internet here), and heed data
// list: the JSON shapes, the second call that finds the dataset in the cache,
// and an unknown name.
TEST(HeedData, DownloadsByNameIntoTheCacheAndListsIt) {
  Scratch s;
  const fs::path tu = s.dir / "src" / "TINY";
  fs::create_directories(tu);
  std::ofstream(tu / "TINY_A.txt") << "1, 2\n2, 1\n3, 4\n4, 3\n";
  std::ofstream(tu / "TINY_graph_indicator.txt") << "1\n1\n2\n2\n";
  std::ofstream(tu / "TINY_graph_labels.txt") << "0\n1\n";
  std::ofstream(tu / "TINY_node_labels.txt") << "0\n1\n1\n0\n";
  fs::create_directories(s.dir / "served");
  heed::testing::run_python({"-c",
                             "import shutil, sys\n"
                             "shutil.make_archive(sys.argv[1], 'zip', sys.argv[2], 'TINY')\n",
                             (s.dir / "served" / "TINY").string(), (s.dir / "src").string()});
  heed::testing::LocalHttpServer server(s.dir / "served");
  if (!server.started() || !fs::exists(s.dir / "served" / "TINY.zip")) {
    GTEST_SKIP() << "needs Python 3 for a local HTTP server";
  }
  const std::string where = " --base-url " + server.url() + " --cache " + s.file("cache");
  Result r = run("data download tu:TINY --json" + where, false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["datasets"].size(), 1u);
  EXPECT_EQ(j["datasets"][0]["name"], "tiny");
  EXPECT_EQ(j["datasets"][0]["fetched"], true);
  EXPECT_EQ(j["datasets"][0]["urls"][0], server.url() + "/TINY.zip");
  bool has_edges = false;
  for (const auto& f : j["datasets"][0]["files"]) {
    has_edges = has_edges || f["path"] == "TINY_A.txt";
    EXPECT_EQ(f["sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(f["pinned"], false);
  }
  EXPECT_TRUE(has_edges);
  r = run("data download TU:TINY" + where);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("tiny: already in "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << "progress drawn into a pipe";

  r = run("data list --json --cache " + s.file("cache"), false);
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json list = nlohmann::json::parse(r.out);
  std::vector<std::string> names;
  for (const auto& d : list["datasets"]) {
    names.push_back(d["name"]);
    EXPECT_EQ(d["cached"], false) << d["name"];
  }
  for (const char* name : {"cora", "citeseer", "pubmed", "mutag", "esol"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }

  r = run("data download imagenet" + where);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("heed: error: heed data download: no dataset named \"imagenet\""),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(s.dir / "cache" / "imagenet"));
}
