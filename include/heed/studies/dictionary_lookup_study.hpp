#pragma once
// Static against dynamic attention, measured: GAT and GATv2 trained on the
// DictionaryLookup problem (data/dictionary_lookup.hpp), as in Figure 2 of
// Brody et al. 2022. The model is one attention layer without self loops,
// then ELU and a linear classifier; only the attention layer differs.
#include <cstdint>

#include <string>
#include "heed/data/dictionary_lookup.hpp"

namespace heed::studies {

struct DictionaryLookupStudy {
  data::DictionaryLookupOptions data;
  std::string conv = "gatv2";  // a registered attention conv: gat or gatv2
  int heads = 1;
  int hidden = 32;  // features per head
  double lr = 0.005;
  int max_epochs = 1000;
  /// Stop once the training accuracy reaches this (1: never early).
  double stop_at = 1.0;
  std::uint64_t seed = 0;  // initialisation
};

struct DictionaryLookupResult {
  double train_accuracy = 0;       // at the end
  double best_train_accuracy = 0;  // over all epochs
  double test_accuracy = 0;        // queries of unseen graphs, at the end
  double final_loss = 0;
  int epochs = 0;  // optimiser steps taken
  double seconds = 0;
};

DictionaryLookupResult run_dictionary_lookup(const DictionaryLookupStudy& study);

}  // namespace heed::studies
