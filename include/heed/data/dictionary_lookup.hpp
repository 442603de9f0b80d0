#pragma once
// The GATv2 paper's DictionaryLookup problem (Brody et al. 2022, section 4.1):
// a problem static attention cannot solve. Each of `graphs` disjoint
// bipartite graphs has k key nodes and k query nodes, every key linked to
// every query. Key i carries an attribute (i) and a value (a random
// permutation of 0..k-1 per graph); each query carries only an attribute.
// A query's label is the value of the key with its attribute, so it must
// attend to that one key, and which key that is depends on the query.
#include <cstdint>

#include "heed/data/dataset.hpp"

namespace heed::data {

struct DictionaryLookupOptions {
  int keys = 10;     // k
  int graphs = 200;  // of which the first train_share are training graphs
  double train_share = 0.8;
  std::uint64_t seed = 0;
};

/// Features: one-hot attribute (k) then one-hot value (k, zero for queries);
/// labels: a query's answer, -1 for keys; split "public": the queries of the
/// training graphs (train) and of the others (test); no self loops.
Dataset dictionary_lookup(const DictionaryLookupOptions& options);

}  // namespace heed::data
