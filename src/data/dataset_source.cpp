#include "heed/data/dataset_source.hpp"

#include <nlohmann/json.hpp>

#include "heed/error.hpp"

namespace heed::data {

Dataset load(const DatasetSource& source) {
  if (source.data) {
    return load_dataset(*source.data, LoadOptions{source.normalise_features});
  }
  return make_csbm(source.synthetic);
}

void to_json(nlohmann::json& j, const DatasetSource& source) {
  if (source.data) {
    j = {{"data", *source.data}, {"normalise_features", source.normalise_features}};
    return;
  }
  const SyntheticOptions& s = source.synthetic;
  j = {{"synthetic",
        {{"nodes", s.nodes},
         {"classes", s.classes},
         {"features", s.features},
         {"avg_degree", s.avg_degree},
         {"homophily", s.homophily},
         {"signal", s.signal},
         {"train_per_class", s.train_per_class},
         {"valid", s.valid},
         {"test", s.test},
         {"seed", s.seed}}}};
}

DatasetSource dataset_source_from_json(const nlohmann::json& j, const std::string& context) {
  try {
    DatasetSource source;
    if (j.contains("data")) {
      source.data = j.at("data").get<std::string>();
      source.normalise_features = j.at("normalise_features").get<bool>();
      return source;
    }
    const nlohmann::json& s = j.at("synthetic");
    SyntheticOptions& o = source.synthetic;
    o.nodes = s.at("nodes").get<int>();
    o.classes = s.at("classes").get<int>();
    o.features = s.at("features").get<int>();
    o.avg_degree = s.at("avg_degree").get<double>();
    o.homophily = s.at("homophily").get<double>();
    o.signal = s.at("signal").get<double>();
    o.train_per_class = s.at("train_per_class").get<int>();
    o.valid = s.at("valid").get<int>();
    o.test = s.at("test").get<int>();
    o.seed = s.at("seed").get<std::uint64_t>();
    return source;
  } catch (const nlohmann::json::exception& e) {
    throw Error(context + ": the recorded dataset is incomplete (" + e.what() + ")");
  }
}

}  // namespace heed::data
