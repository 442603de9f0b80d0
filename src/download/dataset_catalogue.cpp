#include "heed/download/dataset_catalogue.hpp"

#include <algorithm>
#include <cctype>

namespace heed::download {
namespace {

// The URLs PyTorch Geometric's Planetoid, TUDataset and MoleculeNet use.
constexpr const char* kPlanetoidUrl = "https://github.com/kimiyoung/planetoid/raw/master/data";
constexpr const char* kTuUrl = "https://www.chrsmrrs.com/graphkerneldatasets";
constexpr const char* kMoleculeNetUrl = "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets";

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

CatalogueEntry tu(const std::string& name, const std::string& description) {
  return {lower(name), description, SourceFormat::tu_zip, kTuUrl, name, {}, ""};
}

std::vector<CatalogueEntry> make_catalogue() {
  // Planetoid's files converted by heed, and the TUDataset and MoleculeNet
  // files as published, pinned by the checksums of the reference copies in
  // the team's shared data (their README gives the sources); the converted
  // Planetoid files match PyG 2.3.1's Planetoid(split="public") element for
  // element.
  std::vector<CatalogueEntry> c;
  c.push_back(
      {"cora",
       "Cora citation graph (Planetoid, public split): 2708 papers, 7 classes",
       SourceFormat::planetoid,
       kPlanetoidUrl,
       "cora",
       {{"edge.csv.gz", "c0f86daea282f60a339c7e4c3747b8d6f5f9d67a97422a8d72c9c27f4ff9a9f9"},
        {"node-feat.csv.gz", "c33b30d00dfdd7e0f26e4642386b76bc5df7cf4da9cf8d5f7838ac4bcfe2bc85"},
        {"node-label.csv.gz", "6b263ed687d7434348a7ade433fd31e359c9354f642fc4957e8a8bb15ec48928"},
        {"split/public/train.csv.gz",
         "009074275b78dafffdce9e39c3dbac1f0acfc745fe17f1d21b54ad9668687e31"},
        {"split/public/valid.csv.gz",
         "4e2a033de398d328066f5a2f5258fdca10d7aa861d6df580216431bce1db71f1"},
        {"split/public/test.csv.gz",
         "7c0bb56c95da43e94d31939c88b70a05cefa2810880cbb295d282768f793a4ed"}},
       ""});
  c.push_back(
      {"citeseer",
       "CiteSeer citation graph (Planetoid, public split): 3327 papers, 6 classes",
       SourceFormat::planetoid,
       kPlanetoidUrl,
       "citeseer",
       {{"edge.csv.gz", "b45430850b9dd247996a8c012ce80d6397665e6eae8ddac1e0c2fddb482066fb"},
        {"node-feat.csv.gz", "d355622545a46989c9383d952b4e10b53c165daf56844c107b4c41b572504e2e"},
        {"node-label.csv.gz", "86fded96fd265120fe9b02455b09a61eb5814eb1f2f0f7695c2c1b3ad1598871"},
        {"split/public/train.csv.gz",
         "eee727e56d543ffe905077688970e93b763efd76239dc192d0dd172c7c5f7b28"},
        {"split/public/valid.csv.gz",
         "957e78a3440fdca10061da654b58b90ec0ea2489b8a6ab03f4233a730d0f440c"},
        {"split/public/test.csv.gz",
         "e87714fb5e3ed1cafcce2166644b6c23c147fab5d9d2bc8f08a64b2a43f4b1dd"}},
       ""});
  c.push_back({"pubmed",
               "PubMed citation graph (Planetoid, public split): 19717 papers, 3 classes",
               SourceFormat::planetoid,
               kPlanetoidUrl,
               "pubmed",
               {},
               ""});
  CatalogueEntry mutag = tu("MUTAG", "MUTAG molecules (TUDataset): 188 graphs, 2 classes");
  mutag.pinned = {
      {"MUTAG_A.txt", "d9656ca7493f3445d737c711710bb36fd432dddd1c0ea32e1d4713c86ebd28e2"},
      {"MUTAG_edge_labels.txt", "4669ce755075ff86c3240709345745886400908fa637a49310459b9c267b3e56"},
      {"MUTAG_graph_indicator.txt",
       "7d520a4d6c7961c0cdeabe076d8fe27e795b6d373485c9a2b744987e560a2056"},
      {"MUTAG_graph_labels.txt",
       "a1518ea39ba3426bd42f57396b9c4baffe68e9adc718caeeab0119c6591a5f2c"},
      {"MUTAG_node_labels.txt",
       "678f429965490e84dd27713017538c995fc05d1621beac910848b600015ee863"}};
  c.push_back(mutag);
  c.push_back(tu("PTC_MR", "PTC_MR molecules (TUDataset): 344 graphs, 2 classes"));
  c.push_back(tu("NCI1", "NCI1 molecules (TUDataset): 4110 graphs, 2 classes"));
  c.push_back(tu("PROTEINS", "PROTEINS (TUDataset): 1113 graphs, 2 classes"));
  c.push_back(tu("ENZYMES", "ENZYMES (TUDataset): 600 graphs, 6 classes"));
  c.push_back(tu("DD", "D&D proteins (TUDataset): 1178 graphs, 2 classes"));
  c.push_back({"esol",
               "ESOL solubility (MoleculeNet): 1128 molecules as SMILES, regression",
               SourceFormat::csv_file,
               kMoleculeNetUrl,
               "delaney-processed.csv",
               {{"delaney-processed.csv",
                 "8c06a76f0c6487d29ab0f903e6a7a7139f189ab3c1178f159c8be8964602f189"}},
               "measured log solubility in mols per litre"});
  return c;
}

}  // namespace

const std::vector<CatalogueEntry>& dataset_catalogue() {
  static const std::vector<CatalogueEntry> catalogue = make_catalogue();
  return catalogue;
}

std::optional<CatalogueEntry> find_dataset(const std::string& name) {
  const std::string wanted = lower(name);
  for (const CatalogueEntry& e : dataset_catalogue()) {
    if (e.name == wanted) return e;
  }
  if (wanted.rfind("tu:", 0) == 0 && name.size() > 3) {
    const std::string remote = name.substr(3);
    const bool plain = std::all_of(remote.begin(), remote.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
    });
    if (!plain) return std::nullopt;
    for (const CatalogueEntry& e : dataset_catalogue()) {
      if (e.format == SourceFormat::tu_zip && e.remote_name == remote) return e;
    }
    return tu(remote, remote + " (TUDataset)");
  }
  return std::nullopt;
}

}  // namespace heed::download
