// Any bytes as one file of an otherwise valid whole-graph or text dataset:
// the first byte picks the file (a TUDataset's edges, graph indicator, graph
// labels, node labels or edge labels; a MoleculeNet CSV of SMILES; AG News's
// CSV, gzipped or not), the rest is its content. Reading must either
// succeed or throw heed::Error.
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "heed/data/graph_dataset.hpp"
#include "heed/data/text_dataset.hpp"
#include "heed/error.hpp"
#include "scratch_files.hpp"

namespace {

namespace fs = std::filesystem;

using heed::fuzz::write_file;

const fs::path& folder() {
  static const fs::path dir =
      fs::temp_directory_path() / ("heed-fuzz-graphs-" + std::to_string(::getpid()));
  return dir;
}

// Two graphs: a triangle and an edge, with node and edge labels.
void write_valid_tu(const fs::path& d) {
  fs::remove_all(d);
  write_file(d / "F_A.txt", "1, 2\n2, 1\n2, 3\n3, 2\n3, 1\n1, 3\n4, 5\n5, 4\n");
  write_file(d / "F_graph_indicator.txt", "1\n1\n1\n2\n2\n");
  write_file(d / "F_graph_labels.txt", "1\n-1\n");
  write_file(d / "F_node_labels.txt", "0\n1\n0\n2\n2\n");
  write_file(d / "F_edge_labels.txt", "0\n0\n1\n1\n0\n0\n2\n2\n");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* kTuFiles[] = {"F_A.txt", "F_graph_indicator.txt", "F_graph_labels.txt",
                                   "F_node_labels.txt", "F_edge_labels.txt"};
  const std::size_t which = data[0] % 8;
  const std::string content(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (which < 5) {
      const fs::path d = folder() / "tu";
      write_valid_tu(d);
      write_file(d / kTuFiles[which], content);
      heed::data::read_graph_dataset(d);
    } else if (which < 7) {
      const fs::path d = folder() / "smiles";
      fs::remove_all(d);
      write_file(d / "molecules.csv", content);
      heed::data::GraphReadOptions options;
      options.skip_invalid = which == 6;
      heed::data::read_graph_dataset(d, options);
    } else {
      const fs::path d = folder() / "ag-news";
      fs::remove_all(d);
      const bool gzip = (data[0] / 8) % 2 == 0;
      write_file(d / (gzip ? "test.csv.gz" : "test.csv"), content, gzip);
      heed::data::read_ag_news(d);
    }
  } catch (const heed::Error&) {
  }
  return 0;
}
