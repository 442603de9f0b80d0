// Molecules from a CSV of SMILES and targets (MoleculeNet's layout): each
// row a molecule graph through RDKit, its target a regression value.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "csv_record.hpp"
#include "gzip_line_reader.hpp"
#include "heed/data/graph_dataset.hpp"
#include "heed/data/molecule.hpp"
#include "heed/error.hpp"
#include "text_fields.hpp"

namespace heed::data {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The folder's one CSV file whose header names a "smiles" column.
std::optional<fs::path> smiles_file(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return std::nullopt;
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().extension() != ".csv") continue;
    std::ifstream in(entry.path());
    std::string header;
    std::getline(in, header);
    std::string_view h = header;
    for (;;) {
      const std::size_t comma = h.find(',');
      std::string field = lower(trim(h.substr(0, comma)));
      if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
        field = field.substr(1, field.size() - 2);
      }
      if (field == "smiles") {
        found.push_back(entry.path());
        break;
      }
      if (comma == std::string_view::npos) break;
      h.remove_prefix(comma + 1);
    }
  }
  if (found.size() != 1) return std::nullopt;
  return found.front();
}

// The target column: meta.json's "target_column" where there is one, else
// the only column besides the SMILES.
std::size_t target_column(const fs::path& csv, const std::vector<std::string>& header,
                          std::size_t smiles) {
  const fs::path meta_path = csv.parent_path() / "meta.json";
  std::error_code ec;
  if (fs::exists(meta_path, ec)) {
    std::ifstream stream(meta_path);
    nlohmann::json meta;
    try {
      meta = nlohmann::json::parse(stream);
    } catch (const nlohmann::json::exception& e) {
      throw Error(meta_path.string() + ": not valid JSON: " + e.what());
    }
    if (meta.contains("target_column")) {
      if (!meta["target_column"].is_string()) {
        throw Error(meta_path.string() + ": field \"target_column\" must be a column name");
      }
      const std::string name = meta["target_column"].get<std::string>();
      const auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) {
        throw Error(meta_path.string() + ": field \"target_column\" names '" + name + "', which " +
                    csv.filename().string() + "'s header does not have");
      }
      return std::size_t(it - header.begin());
    }
  }
  if (header.size() == 2) return 1 - smiles;
  throw Error(csv.string() + ": " + std::to_string(header.size()) +
              " columns besides the SMILES could be the target; name it in " + meta_path.string() +
              " as \"target_column\"");
}

}  // namespace

bool is_smiles_dataset(const fs::path& folder) {
  return smiles_file(folder).has_value();
}

GraphDataset read_smiles_dataset(const fs::path& folder, const GraphReadOptions& options) {
  const std::optional<fs::path> csv = smiles_file(folder);
  if (!csv) {
    throw Error(folder.string() + ": no CSV file (one only) whose header has a 'smiles' column");
  }
  GzipLineReader reader(*csv);
  std::string_view line;
  if (!reader.next(line)) reader.fail("the file is empty: expected a header");
  std::vector<std::string> header = csv_fields(reader, line);
  for (std::string& h : header) h = std::string(trim(h));
  const std::size_t smiles_col =
      std::size_t(std::find_if(header.begin(), header.end(),
                               [](const std::string& h) { return lower(h) == "smiles"; }) -
                  header.begin());
  const std::size_t target_col = target_column(*csv, header, smiles_col);

  GraphDataset d;
  d.name = folder.filename().empty() ? folder.parent_path().filename().string()
                                     : folder.filename().string();
  d.path = folder;
  const std::size_t atom_width = std::size_t(atom_feature_width());
  const std::size_t bond_width = std::size_t(bond_feature_width());
  std::vector<float> x, edge_features, targets;
  std::vector<std::int64_t> graph_of_node;
  Csr in;
  in.indptr.push_back(0);
  std::int64_t nodes = 0;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = csv_fields(reader, line);
    if (fields.size() != header.size()) {
      reader.fail("expected " + std::to_string(header.size()) + " columns, found " +
                  std::to_string(fields.size()));
    }
    // 212 of ESOL's SMILES end in a space: blanks are not part of a SMILES.
    const std::string smiles(trim(fields[smiles_col]));
    const float target = parse_number<float>(reader, int(target_col), fields[target_col]);
    Molecule m;
    try {
      m = molecule_from_smiles(smiles);
    } catch (const Error& e) {
      if (options.skip_invalid) {
        ++d.skipped_invalid;
        continue;
      }
      reader.fail("column " + std::to_string(smiles_col + 1) + " (" + header[smiles_col] +
                  "): " + data::quoted(smiles) + ": " + e.what() +
                  " (--skip-invalid leaves such rows out)");
    }
    const std::int64_t graph = std::int64_t(targets.size());
    targets.push_back(target);
    d.smiles.push_back(smiles);
    for (const auto& atom : m.atoms) {
      const std::size_t row = x.size();
      x.resize(row + atom_width, 0.0f);
      std::size_t offset = 0;
      for (std::size_t f = 0; f < atom.size(); ++f) {
        x[row + offset + std::size_t(atom[f])] = 1.0f;
        offset += std::size_t(kAtomFeatureSizes[f]);
      }
      graph_of_node.push_back(graph);
    }
    // The in-CSR of the molecule's atoms: edges by destination, then source.
    std::vector<std::size_t> order(m.edges.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::pair(m.edges[a][1], m.edges[a][0]) < std::pair(m.edges[b][1], m.edges[b][0]);
    });
    std::vector<EdgeId> count(m.atoms.size(), 0);
    for (std::size_t k : order) {
      in.indices.push_back(NodeId(nodes + m.edges[k][0]));
      ++count[std::size_t(m.edges[k][1])];
      const std::size_t row = edge_features.size();
      edge_features.resize(row + bond_width, 0.0f);
      std::size_t offset = 0;
      for (std::size_t f = 0; f < 3; ++f) {
        edge_features[row + offset + std::size_t(m.edge_features[k][f])] = 1.0f;
        offset += std::size_t(kBondFeatureSizes[f]);
      }
    }
    for (EdgeId c : count) in.indptr.push_back(in.indptr.back() + c);
    nodes += std::int64_t(m.atoms.size());
  }
  if (targets.empty()) {
    throw Error(csv->string() + ": no molecules" +
                (d.skipped_invalid ? " (all " + std::to_string(d.skipped_invalid) +
                                         " rows were rejected by RDKit)"
                                   : std::string()));
  }
  d.x = Tensor<float>(std::size_t(nodes), atom_width);
  std::copy(x.begin(), x.end(), d.x.data());
  d.edge_attr = Tensor<float>(in.indices.size(), bond_width);
  std::copy(edge_features.begin(), edge_features.end(), d.edge_attr.data());
  d.values = Tensor<float>(targets.size(), 1);
  std::copy(targets.begin(), targets.end(), d.values.data());
  d.graphs = batch_from_graph_ids(Graph::from_in_csr(nodes, std::move(in)), graph_of_node);
  return d;
}

}  // namespace heed::data
