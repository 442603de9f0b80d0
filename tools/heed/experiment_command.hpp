#pragma once
// `heed experiment`: studies run end to end, each printing a table (or JSON).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "heed/data/dataset_source.hpp"
#include "heed/studies/ag_news_study.hpp"
#include "heed/studies/dictionary_lookup_study.hpp"
#include "heed/studies/transformer_study.hpp"
#include "heed/studies/wl_study.hpp"

namespace heed::cli {

struct ExperimentConfig {
  studies::DictionaryLookupStudy lookup;
  std::vector<std::string> models{"gat", "gatv2"};
  std::vector<int> heads{1, 8};
  int runs = 3;
  int threads = 0;
  bool json = false;
  // The transformer studies (transformers-are-gnns, weight-transfer).
  data::DatasetSource source = cora();
  static data::DatasetSource cora() {
    data::DatasetSource s;
    s.data = "cora";
    return s;
  }
  studies::TransformerStudyOptions transformer;
  std::vector<std::string> rows;  // keys; empty: all of the study's rows
  int study_runs = 0;             // 0: the study's default (10 seminar, 3 weight transfer)
  std::uint64_t seed = 0;
  int wl_seeds = 5;  // the WL table's random initialisations
  // The AG News study.
  std::string ag_news_data = "ag-news";  // a folder or a name (resolve_dataset)
  studies::AgNewsOptions ag_news;
  std::vector<std::int64_t> ag_news_split{6000, 800, 800};  // into ag_news.split
};

/// Adds `experiment` and its subcommands; returns the `experiment` command.
CLI::App* add_experiment_command(CLI::App& app, ExperimentConfig& config);
int run_experiment(const CLI::App& command, const ExperimentConfig& config);

}  // namespace heed::cli
