#pragma once
// Every metric of every run, gathered for the mean +- std that `heed train`
// prints and writes as JSON.
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "heed/train/metrics.hpp"
#include "heed/train/trainer.hpp"

namespace heed::cli {

/// values[part][metric]: one value per run, in run order.
using RunValues = std::map<std::string, std::map<std::string, std::vector<double>>>;

inline void add_run(RunValues& values, const train::PartMetrics& metrics) {
  for (const auto& [part, by_name] : metrics) {
    for (const auto& [name, value] : by_name) values[part][name].push_back(value);
  }
}

/// A JSON number, or null for what is not finite (an undefined metric).
inline nlohmann::json json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

/// The results shape's "metrics": per part and metric, mean, std and runs.
inline nlohmann::json metrics_json(const RunValues& values) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [part, by_name] : values) {
    for (const auto& [name, v] : by_name) {
      const train::MeanStd m = train::mean_std(v);
      nlohmann::json each = nlohmann::json::array();
      for (double x : v) each.push_back(json_number(x));
      metrics[part][name] = {
          {"mean", json_number(m.mean)}, {"std", json_number(m.std)}, {"runs", each}};
    }
  }
  return metrics;
}

/// One run's "metrics": per part and metric, its value.
inline nlohmann::json run_metrics_json(const train::PartMetrics& metrics) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [part, m] : metrics) {
    for (const auto& [name, value] : m) j[part][name] = json_number(value);
  }
  return j;
}

}  // namespace heed::cli
