#include "dataset_options.hpp"

#include "flag_checks.hpp"

namespace heed::cli {

void add_dataset_options(CLI::App& cmd, data::DatasetSource& source) {
  cmd.add_option("--data", source.data,
                 "Dataset folder or name (looked up in the cache, $HEED_DATA or ~/.cache/heed, "
                 "where heed data download puts it, then in ../shared/data); without it, a "
                 "synthetic graph");
  cmd.add_flag("--normalise-features,!--no-normalise-features", source.normalise_features,
               "Divide each feature row by its sum (real datasets)")
      ->capture_default_str();
}

void add_synthetic_options(CLI::App& cmd, data::SyntheticOptions& s) {
  const char* syn = "Synthetic graph (no --data)";
  cmd.add_option("--nodes", s.nodes, "Nodes")
      ->capture_default_str()
      ->check(CLI::Range(10, 100000000))
      ->group(syn);
  cmd.add_option("--classes", s.classes, "Classes")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000))
      ->group(syn);
  cmd.add_option("--features", s.features, "Features per node")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20))
      ->group(syn);
  cmd.add_option("--avg-degree", s.avg_degree, "Average degree")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10000.0))
      ->group(syn);
  cmd.add_option("--homophily", s.homophily, "Share of edges within a class")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(syn);
  cmd.add_option("--signal", s.signal, "Spread of class means (noise std is 1)")
      ->capture_default_str()
      ->check(non_negative_number())
      ->group(syn);
}

}  // namespace heed::cli
