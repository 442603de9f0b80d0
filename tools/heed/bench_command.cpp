#include "bench_command.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "attention_crossover.hpp"
#include "enum_options.hpp"
#include "epoch_benchmark.hpp"
#include "graph_epoch_benchmark.hpp"
#include "heed/data/dataset.hpp"
#include "heed/data/graph_dataset.hpp"
#include "heed/error.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/tensor/blas.hpp"
#include "layer_benchmark.hpp"
#include "memory_bandwidth.hpp"

namespace heed::cli {

CLI::App* add_bench_command(CLI::App& app, BenchConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Time layers (forward, forward+backward), a training epoch, peak memory and bandwidth; "
      "with no --layer or --epoch, the whole suite, one process per case");
  cmd->add_option("--layer", c.layer, "Measure one layer (a registered conv)")
      ->check(one_of_names(nn::conv_names()));
  cmd->add_option("--graph", c.graph,
                  "Random graph: uniform (as torch.randint) or powerlaw (R-MAT)")
      ->capture_default_str()
      ->check(CLI::IsMember({"uniform", "powerlaw"}));
  cmd->add_option("--nodes", c.nodes, "Nodes")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t(1), std::int64_t(INT32_MAX)));
  cmd->add_option("--edges", c.edges, "Edges before self loops")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t(0), std::int64_t(1) << 40));
  cmd->add_flag(
      "--epoch", c.epoch,
      "Measure a training epoch: the paper's 2-layer GAT on a node dataset, or a 2-layer GAT "
      "(8 heads x 8) with mean readout in batches of 128 on a whole-graph dataset");
  cmd->add_option("--data", c.data, "Dataset of --epoch")->capture_default_str();
  cmd->add_option("--repeats", c.repeats,
                  "Timed runs after one warm-up (0: 11; 5 from 200k nodes; 3 from 1M)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--threads", c.threads, "Threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--seed", c.seed, "Seed of the graph and the weights")->capture_default_str();
  cmd->add_flag("--attention-crossover", c.crossover,
                "The hardware lottery: sparse graph attention against dense masked attention "
                "(BLAS) as the edge density grows, and the density from which dense wins");
  cmd->add_option("--crossover-nodes", c.crossover_nodes, "Graph sizes of --attention-crossover")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(std::int64_t(2), std::int64_t(40000)));
  cmd->add_option("--densities", c.densities, "Edge densities of --attention-crossover")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(1e-6, 1.0));
  cmd->add_flag("--thread-scaling", c.thread_scaling,
                "Each case on 1 thread and on --threads (0: all cores), one process each; "
                "reports each kernel's speedup and which do not scale");
  cmd->add_flag("--json", c.json, "One JSON object per measurement, one per line");
  cmd->callback([&c] {
    if (int(c.layer.has_value()) + int(c.epoch) + int(c.crossover) > 1) {
      throw CLI::ValidationError("--layer, --epoch and --attention-crossover exclude each other");
    }
    if (c.thread_scaling && c.crossover) {
      throw CLI::ValidationError("--thread-scaling times --layer, --epoch or the suite");
    }
  });
  return cmd;
}

namespace {

// Adds each kernel's share of the machine's triad bandwidth.
void add_bandwidth(nlohmann::json& result, double triad_gb_per_s) {
  result["triad_gb_per_s"] = triad_gb_per_s;
  if (!result.contains("kernels")) return;
  for (nlohmann::json& k : result["kernels"]) {
    if (k.contains("gb_per_s")) {
      k["fraction_of_triad"] = k["gb_per_s"].get<double>() / triad_gb_per_s;
    }
  }
}

nlohmann::json measure_one(const BenchConfig& c) {
  nlohmann::json result;
  if (c.epoch && data::is_graph_dataset(data::resolve_dataset(c.data))) {
    bench::GraphEpochCase e;
    e.data = c.data;
    e.seed = c.seed;
    if (c.repeats > 0) e.epochs = c.repeats;
    result = bench::run_graph_epoch_benchmark(e);
  } else if (c.epoch) {
    bench::EpochCase e;
    e.data = c.data;
    e.seed = c.seed;
    if (c.repeats > 0) e.epochs = c.repeats;
    result = bench::run_epoch_benchmark(e);
  } else {
    bench::LayerCase l;
    l.layer = *c.layer;
    l.graph = c.graph;
    l.nodes = c.nodes;
    l.edges = c.edges;
    l.seed = c.seed;
    // More runs than PyG's yardstick (5, or 3 from 200k nodes): this shared
    // machine is noisy, and the median of more runs moves less.
    l.repeats = c.repeats > 0 ? c.repeats : c.nodes >= 1'000'000 ? 3 : c.nodes >= 200'000 ? 5 : 11;
    result = bench::run_layer_benchmark(l);
  }
  // After the peak memory is read: the triad's arrays would inflate it.
  add_bandwidth(result, bench::stream_triad(128.0).gb_per_s);
  return result;
}

void print_table_header() {
  fmt::print("{:<17} {:<9} {:>8} {:>9} {:>22} {:>22} {:>9} {:>9}\n", "layer", "graph", "nodes",
             "edges", "fwd ms (min-max)", "fwd+bwd ms (min-max)", "Medge/s", "peak MiB");
}

void print_row(const nlohmann::json& r) {
  auto span = [&](const char* key) {
    return fmt::format("{:.1f} ({:.1f}-{:.1f})", r[key].get<double>(),
                       r[std::string(key) + "_min"].get<double>(),
                       r[std::string(key) + "_max"].get<double>());
  };
  const double eps = r.contains("edges_per_second") ? r["edges_per_second"].get<double>() / 1e6 : 0;
  fmt::print("{:<17} {:<9} {:>8} {:>9} {:>22} {:>22} {:>9.1f} {:>9.0f}\n",
             r["layer"].get<std::string>(), r.value("graph", r.value("data", "")),
             r["nodes"].get<std::int64_t>(), r["edges"].get<std::int64_t>(), span("fwd_ms"),
             span("fwd_bwd_ms"), eps, r["peak_rss_mib"].get<double>());
  if (!r.contains("kernels")) return;
  if (r.contains("fwd_bwd_kernels_ms")) {
    fmt::print(
        "    kernels {:.1f} of {:.1f} ms fwd ({:.0f}% overhead), {:.1f} of {:.1f} ms fwd+bwd "
        "({:.0f}% overhead; {:.0f}% from the fastest runs)\n",
        r["fwd_kernels_ms"].get<double>(), r["fwd_ms"].get<double>(),
        100 * r["fwd_overhead_share"].get<double>(), r["fwd_bwd_kernels_ms"].get<double>(),
        r["fwd_bwd_ms"].get<double>(), 100 * r["fwd_bwd_overhead_share"].get<double>(),
        100 * r["fwd_bwd_overhead_share_min"].get<double>());
  }
  for (const nlohmann::json& k : r["kernels"]) {
    std::string rate;
    if (k.contains("gb_per_s")) {
      rate = fmt::format("{:.1f} GB/s = {:.0f}% of triad", k["gb_per_s"].get<double>(),
                         100 * k.value("fraction_of_triad", 0.0));
    } else if (k.contains("gflop_per_s")) {
      rate = fmt::format("{:.1f} GFLOP/s", k["gflop_per_s"].get<double>());
    }
    fmt::print("    {:<32} {:>9.2f} ms  {}\n", k["name"].get<std::string>(), k["ms"].get<double>(),
               rate);
  }
}

// The suite's cases, each run by a child `heed bench` so that its peak
// memory is its own.
std::vector<std::string> suite_arguments(const BenchConfig& c) {
  std::vector<std::string> cases;
  const std::string common = fmt::format(" --seed {}", c.seed);
  struct Size {
    const char* graph;
    std::int64_t nodes, edges;
  };
  const Size sizes[] = {{"uniform", 10'000, 100'000},
                        {"uniform", 100'000, 1'000'000},
                        {"uniform", 200'000, 4'000'000},
                        {"powerlaw", 1'000'000, 10'000'000}};
  for (const std::string& layer : nn::conv_names()) {
    for (const Size& s : sizes) {
      cases.push_back(fmt::format("--layer {} --graph {} --nodes {} --edges {}", layer, s.graph,
                                  s.nodes, s.edges) +
                      common);
    }
  }
  cases.push_back(fmt::format("--epoch --data {}", c.data) + common);
  return cases;
}

// One case in a child `heed bench ... --json`, so that its peak memory and
// its thread count are its own; nullopt (and a message) if it failed.
std::optional<nlohmann::json> run_child(const std::string& self, const std::string& args) {
  const std::string command = "'" + self + "' bench " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw Error("bench: cannot start " + command);
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe.get())) output += buffer;
  const int status = pclose(pipe.release());
  if (status != 0) {
    std::fprintf(stderr, "heed bench: case failed (status %d): %s\n", status, args.c_str());
    return std::nullopt;
  }
  return nlohmann::json::parse(output);
}

// A kernel, a layer or an epoch "scales" on n threads when n threads make it
// at least 1 + (n - 1) / 2 times faster than one (1.5x on two).
bool scales(double speedup, int threads) {
  return speedup >= 1.0 + 0.5 * double(threads - 1);
}

// The same case on 1 thread and on `threads`, as one record: times as
// [1 thread, n threads], speedups, and the kernels that do not scale.
std::optional<nlohmann::json> measure_scaling(const std::string& self, const std::string& args,
                                              int threads) {
  const auto one = run_child(self, args + " --threads 1 --json");
  const auto many = run_child(self, args + fmt::format(" --threads {} --json", threads));
  if (!one || !many) return std::nullopt;
  nlohmann::json r{{"benchmark", "thread_scaling"}, {"threads", {1, threads}}};
  for (const char* key :
       {"layer", "graph", "data", "nodes", "edges", "blas_core", "blas_threading"}) {
    if (one->contains(key)) r[key] = (*one)[key];
  }
  std::vector<std::string> not_scaling;
  for (const char* key : {"fwd_ms", "fwd_bwd_ms", "eval_ms"}) {
    if (!one->contains(key)) continue;
    const double a = (*one)[key], b = (*many)[key];
    r[key] = {a, b};
    r[std::string("speedup_") + std::string(key).substr(0, std::string(key).size() - 3)] = a / b;
  }
  if (one->contains("kernels")) {
    r["kernels"] = nlohmann::json::array();
    for (std::size_t k = 0; k < (*one)["kernels"].size(); ++k) {
      const nlohmann::json& ka = (*one)["kernels"][k];
      const double a = ka["ms"], b = (*many)["kernels"][k]["ms"];
      r["kernels"].push_back({{"name", ka["name"]}, {"ms", {a, b}}, {"speedup", a / b}});
      if (!scales(a / b, threads)) not_scaling.push_back(ka["name"]);
    }
  }
  if (!scales(r["speedup_fwd_bwd"].get<double>(), threads)) not_scaling.push_back("fwd+bwd");
  r["not_scaling"] = not_scaling;
  return r;
}

void print_scaling(const nlohmann::json& r) {
  const int n = r["threads"][1];
  const std::string what =
      r.contains("data")
          ? r["data"].get<std::string>()
          : fmt::format("{} {} nodes, {} edges", r["graph"].get<std::string>(),
                        r["nodes"].get<std::int64_t>(), r["edges"].get<std::int64_t>());
  fmt::print("{} ({}): 1 against {} threads\n", r["layer"].get<std::string>(), what, n);
  auto line = [&](const std::string& name, double a, double b) {
    const double s = a / b;
    fmt::print("    {:<34} {:>9.2f} {:>9.2f} ms {:>6.2f}x{}\n", name, a, b, s,
               scales(s, n) ? "" : "  does not scale");
  };
  for (const char* key : {"fwd_ms", "fwd_bwd_ms", "eval_ms"}) {
    if (r.contains(key)) line(key, r[key][0], r[key][1]);
  }
  if (!r.contains("kernels")) return;
  for (const nlohmann::json& k : r["kernels"]) line(k["name"], k["ms"][0], k["ms"][1]);
}

int run_suite(const BenchConfig& c, const std::string& self) {
  if (!c.json && !c.thread_scaling) print_table_header();
  int failures = 0;
  for (const std::string& args : suite_arguments(c)) {
    const std::optional<nlohmann::json> result =
        c.thread_scaling ? measure_scaling(self, args, c.threads > 0 ? c.threads : num_threads())
                         : run_child(self, args + fmt::format(" --threads {} --json", c.threads));
    if (!result) {
      ++failures;
      continue;
    }
    if (c.json) {
      std::puts(result->dump().c_str());
    } else if (c.thread_scaling) {
      print_scaling(*result);
    } else {
      print_row(*result);
    }
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

namespace {

int run_crossover(const BenchConfig& c) {
  std::vector<double> densities = c.densities;
  std::sort(densities.begin(), densities.end());
  if (!c.json) {
    fmt::print(
        "dense masked (BLAS) against sparse (CSR) scaled dot-product attention, width 64, "
        "1 head, {} thread(s); medians in ms\n",
        num_threads());
    fmt::print("{:>6} {:>8} {:>10} {:>11} {:>11} {:>13} {:>13}  {}\n", "nodes", "density", "edges",
               "sparse fwd", "dense fwd", "sparse f+b", "dense f+b", "faster (f+b)");
  }
  for (std::int64_t nodes : c.crossover_nodes) {
    std::vector<nlohmann::json> results;
    for (double density : densities) {
      bench::CrossoverCase cc;
      cc.nodes = nodes;
      cc.density = density;
      cc.seed = c.seed;
      // The biggest cases take seconds each; the small ones need more runs
      // for a steady median on this noisy machine.
      cc.repeats = c.repeats > 0 ? c.repeats : nodes >= 10000 ? 1 : 3;
      nlohmann::json r = bench::run_attention_crossover(cc);
      if (c.json) {
        std::puts(r.dump().c_str());
      } else {
        const double sf = r["sparse_fwd_ms"], df = r["dense_fwd_ms"], sb = r["sparse_fwd_bwd_ms"],
                     db = r["dense_fwd_bwd_ms"];
        fmt::print("{:>6} {:>7.1f}% {:>10} {:>11.2f} {:>11.2f} {:>13.2f} {:>13.2f}  {}\n", nodes,
                   100 * density, r["edges"].get<std::int64_t>(), sf, df, sb, db,
                   db <= sb ? "dense" : "sparse");
      }
      std::fflush(stdout);
      results.push_back(std::move(r));
    }
    const double fwd = bench::crossover_density(results, "fwd");
    const double fwd_bwd = bench::crossover_density(results, "fwd_bwd");
    if (c.json) {
      std::puts(nlohmann::json({{"benchmark", "attention_crossover_summary"},
                                {"nodes", nodes},
                                {"dense_wins_from_density_fwd", fwd},
                                {"dense_wins_from_density_fwd_bwd", fwd_bwd}})
                    .dump()
                    .c_str());
    } else {
      auto text = [](double d) {
        return d < 0 ? std::string("never, in this sweep") : fmt::format("{:.1f} %", 100 * d);
      };
      fmt::print("{:>6} nodes: dense wins from density {} (forward), {} (forward + backward)\n",
                 nodes, text(fwd), text(fwd_bwd));
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int run_bench(const BenchConfig& c, const std::string& self) {
  const int threads = c.threads > 0 ? c.threads : num_threads();
  if (c.threads > 0) set_num_threads(c.threads);
  if (c.crossover) return run_crossover(c);
  if (!c.layer && !c.epoch) return run_suite(c, self);
  if (c.thread_scaling) {
    const std::string args = c.epoch ? fmt::format("--epoch --data '{}'", c.data)
                                     : fmt::format("--layer {} --graph {} --nodes {} --edges {}",
                                                   *c.layer, c.graph, c.nodes, c.edges);
    const std::optional<nlohmann::json> r = measure_scaling(
        self, args + fmt::format(" --seed {} --repeats {}", c.seed, c.repeats), threads);
    if (!r) return 1;
    if (c.json) {
      std::puts(r->dump().c_str());
    } else {
      print_scaling(*r);
    }
    return 0;
  }
  nlohmann::json result = measure_one(c);
  if (c.json) {
    std::puts(result.dump().c_str());
  } else {
    print_table_header();
    print_row(result);
  }
  return 0;
}

}  // namespace heed::cli
