#pragma once
// The public datasets heed can fetch by name, where they live, and the
// checksums that pin them.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace heed::download {

enum class SourceFormat {
  planetoid,  // ind.<name>.* pickles, converted to heed's node-dataset files
  tu_zip,     // a TUDataset zip (<NAME>.zip holding <NAME>/<NAME>_*.txt)
  csv_file,   // one CSV file, kept as it is (MoleculeNet)
};

struct CatalogueEntry {
  std::string name;         // the folder in the cache, lower case: "cora", "mutag"
  std::string description;  // one line for `heed data list`
  SourceFormat format = SourceFormat::csv_file;
  std::string base_url;     // the files are base_url + "/" + remote file name
  std::string remote_name;  // "cora", "MUTAG", "delaney-processed.csv"
  // (file in the dataset folder, SHA-256): what heed checks after converting.
  // Empty when nothing pins the dataset's content (TUDatasets other than
  // MUTAG, PubMed); the download then records its checksums but cannot check them.
  std::vector<std::pair<std::string, std::string>> pinned;
  // What the downloaded folder's meta.json adds to its name and source: the
  // target column of a CSV with several numeric columns.
  std::string target_column;
};

/// Every dataset `heed data download` knows by name.
const std::vector<CatalogueEntry>& dataset_catalogue();

/// The entry for `name`, matched without regard to case; "tu:NAME" names
/// any TUDataset by its name on the TUDataset server. Empty if unknown.
std::optional<CatalogueEntry> find_dataset(const std::string& name);

}  // namespace heed::download
