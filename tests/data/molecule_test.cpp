// Molecules from SMILES through RDKit: atom and bond features against PyG
// 2.3's from_smiles (its outputs for these molecules, printed by PyG on
// Debian's RDKit and kept here), RDKit's rejections as errors, and the CSV
// reader of MoleculeNet's layout with its bad-input catalogue; ESOL from
// ../shared/data against its documented counts (skipped without it).
#include "heed/data/molecule.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>
#include <string>

#include "heed/data/graph_dataset.hpp"
#include "heed/error.hpp"
#include "support/tiny_dataset.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;
using Atoms = std::vector<std::array<std::int32_t, 9>>;
using Edges = std::vector<std::array<std::int32_t, 2>>;
using Bonds = std::vector<std::array<std::int32_t, 3>>;

// edge_index of from_smiles, as (source, destination) pairs.
Edges pairs(const std::vector<std::int32_t>& from, const std::vector<std::int32_t>& to) {
  Edges e;
  for (std::size_t k = 0; k < from.size(); ++k) e.push_back({from[k], to[k]});
  return e;
}

TEST(Molecule, AspirinAsPygFromSmilesGivesIt) {
  const data::Molecule m = data::molecule_from_smiles("CC(=O)Oc1ccccc1C(=O)O");
  EXPECT_EQ(m.atoms, (Atoms{{6, 0, 4, 5, 3, 0, 4, 0, 0},
                            {6, 0, 3, 5, 0, 0, 3, 0, 0},
                            {8, 0, 1, 5, 0, 0, 3, 0, 0},
                            {8, 0, 2, 5, 0, 0, 3, 0, 0},
                            {6, 0, 3, 5, 0, 0, 3, 1, 1},
                            {6, 0, 3, 5, 1, 0, 3, 1, 1},
                            {6, 0, 3, 5, 1, 0, 3, 1, 1},
                            {6, 0, 3, 5, 1, 0, 3, 1, 1},
                            {6, 0, 3, 5, 1, 0, 3, 1, 1},
                            {6, 0, 3, 5, 0, 0, 3, 1, 1},
                            {6, 0, 3, 5, 0, 0, 3, 0, 0},
                            {8, 0, 1, 5, 0, 0, 3, 0, 0},
                            {8, 0, 2, 5, 1, 0, 3, 0, 0}}));
  EXPECT_EQ(
      m.edges,
      pairs({0, 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 9, 10, 10, 10, 11, 12},
            {1, 0, 2, 3, 1, 1, 4, 3, 5, 9, 4, 6, 5, 7, 6, 8, 7, 9, 4, 8, 10, 9, 11, 12, 10, 10}));
  EXPECT_EQ(
      m.edge_features,
      (Bonds{{1, 0, 0},  {1, 0, 0},  {2, 0, 1},  {1, 0, 1},  {2, 0, 1},  {1, 0, 1},  {1, 0, 1},
             {1, 0, 1},  {12, 0, 1}, {12, 0, 1}, {12, 0, 1}, {12, 0, 1}, {12, 0, 1}, {12, 0, 1},
             {12, 0, 1}, {12, 0, 1}, {12, 0, 1}, {12, 0, 1}, {12, 0, 1}, {12, 0, 1}, {1, 0, 1},
             {1, 0, 1},  {2, 0, 1},  {1, 0, 1},  {2, 0, 1},  {1, 0, 1}}));
}

TEST(Molecule, StereoChargeChiralityAndTripleBondsAsPygGivesThem) {
  // A trans double bond: stereo STEREOE (3).
  data::Molecule m = data::molecule_from_smiles("C/C=C/C");
  EXPECT_EQ(m.edge_features,
            (Bonds{{1, 0, 0}, {1, 0, 0}, {2, 3, 0}, {2, 3, 0}, {1, 0, 0}, {1, 0, 0}}));
  // A chiral centre (CHI_TETRAHEDRAL_CCW, 2) and a charge of -1 (index 4).
  m = data::molecule_from_smiles("C[C@H](N)C(=O)[O-]");
  EXPECT_EQ(m.atoms, (Atoms{{6, 0, 4, 5, 3, 0, 4, 0, 0},
                            {6, 2, 4, 5, 1, 0, 4, 0, 0},
                            {7, 0, 3, 5, 2, 0, 4, 0, 0},
                            {6, 0, 3, 5, 0, 0, 3, 0, 0},
                            {8, 0, 1, 5, 0, 0, 3, 0, 0},
                            {8, 0, 1, 4, 0, 0, 3, 0, 0}}));
  EXPECT_EQ(m.edge_features, (Bonds{{1, 0, 0},
                                    {1, 0, 0},
                                    {1, 0, 0},
                                    {1, 0, 0},
                                    {1, 0, 0},
                                    {1, 0, 0},
                                    {2, 0, 1},
                                    {1, 0, 1},
                                    {2, 0, 1},
                                    {1, 0, 1}}));
  // One atom, no bonds; a charge of +1 and four hydrogens.
  m = data::molecule_from_smiles("[NH4+]");
  EXPECT_EQ(m.atoms, (Atoms{{7, 0, 4, 6, 4, 0, 4, 0, 0}}));
  EXPECT_TRUE(m.edges.empty());
  m = data::molecule_from_smiles("C#N");
  EXPECT_EQ(m.atoms, (Atoms{{6, 0, 2, 5, 1, 0, 2, 0, 0}, {7, 0, 1, 5, 0, 0, 2, 0, 0}}));
  EXPECT_EQ(m.edge_features, (Bonds{{3, 0, 0}, {3, 0, 0}}));
  EXPECT_EQ(data::atom_feature_width(), 177);
  EXPECT_EQ(data::bond_feature_width(), 30);
}

std::string rejection(const std::string& smiles) {
  try {
    data::molecule_from_smiles(smiles);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Molecule, RdkitsRejectionsAreErrorsThatSayWhy) {
  EXPECT_EQ(rejection("C1CC"), "RDKit cannot parse it");  // an unclosed ring
  EXPECT_EQ(rejection("CC(C"), "RDKit cannot parse it");
  EXPECT_NE(rejection("C(C)(C)(C)(C)C").find("valence"), std::string::npos)
      << rejection("C(C)(C)(C)(C)C");
  EXPECT_EQ(rejection(""), "the molecule has no atoms");
}

class SmilesCsv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("heed-smiles-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& text) { testing::write_text(dir_ / "mols.csv", text); }
  std::string error(bool skip = false) {
    try {
      data::read_smiles_dataset(dir_, {.skip_invalid = skip});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  fs::path dir_;
};

TEST_F(SmilesCsv, ReadsMoleculesAsOneHotGraphsWithTheirTargets) {
  // A quoted name with a comma, a SMILES with a trailing blank.
  write("name,smiles,logS\n\"acid, acetic\",CC(=O)O ,0.5\nmethane,C,-1.25\nnitrile,C#N,2\n");
  ASSERT_TRUE(data::is_smiles_dataset(dir_));
  ASSERT_TRUE(data::is_graph_dataset(dir_));
  testing::write_text(dir_ / "meta.json", R"({"target_column": "logS"})");
  const data::GraphDataset d = data::read_graph_dataset(dir_);
  EXPECT_EQ(d.num_graphs(), 3);
  EXPECT_EQ(d.graphs.node_offsets, (std::vector<std::int64_t>{0, 4, 5, 7}));
  EXPECT_EQ(d.graphs.graph.num_edges(), 2 * 3 + 0 + 2);
  ASSERT_TRUE(d.is_regression());
  EXPECT_EQ(d.values(0, 0), 0.5f);
  EXPECT_EQ(d.values(1, 0), -1.25f);
  EXPECT_EQ(d.values(2, 0), 2.0f);
  ASSERT_EQ(d.x.cols(), 177u);
  ASSERT_EQ(d.edge_attr.cols(), 30u);
  // Nine features an atom, three a bond, each one-hot.
  for (std::size_t r = 0; r < d.x.rows(); ++r) {
    const auto row = d.x.row(r);
    EXPECT_EQ(std::accumulate(row.begin(), row.end(), 0.0f), 9.0f);
  }
  for (std::size_t r = 0; r < d.edge_attr.rows(); ++r) {
    const auto row = d.edge_attr.row(r);
    EXPECT_EQ(std::accumulate(row.begin(), row.end(), 0.0f), 3.0f);
  }
  // Methane's carbon: atomic number 6, degree 4, four hydrogens, SP3.
  EXPECT_EQ(d.x(4, 6), 1.0f);
  EXPECT_EQ(d.x(4, 119 + 9 + 4), 1.0f);
  EXPECT_EQ(d.x(4, 119 + 9 + 11 + 12 + 4), 1.0f);
  // The nitrile's bond, both ways: a triple bond (type 3).
  EXPECT_EQ(d.edge_attr(6, 3), 1.0f);
  EXPECT_EQ(d.edge_attr(7, 3), 1.0f);
  // Its in-edges: atom 5 from atom 6, and back.
  const Csr& in = d.graphs.graph.in();
  EXPECT_EQ(in.indices[6], 6);
  EXPECT_EQ(in.indices[7], 5);
}

TEST_F(SmilesCsv, BadInputNamesTheFileTheLineAndTheProblem) {
  write("smiles,y\nCC,1\nC1CC,2\nCCO,3\n");
  std::string e = error();
  EXPECT_NE(e.find("mols.csv:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("'C1CC'"), std::string::npos) << e;
  EXPECT_NE(e.find("RDKit cannot parse it"), std::string::npos) << e;
  // With skip_invalid, the molecule is left out and counted.
  const data::GraphDataset d = data::read_smiles_dataset(dir_, {.skip_invalid = true});
  EXPECT_EQ(d.num_graphs(), 2);
  EXPECT_EQ(d.skipped_invalid, 1u);
  EXPECT_EQ(d.values(1, 0), 3.0f);
  // Each graph keeps its SMILES, for drawing: the rejected one is not among them.
  EXPECT_EQ(d.smiles, (std::vector<std::string>{"CC", "CCO"}));

  write("smiles,y\nCC,1\nCCO,abc\n");
  e = error();
  EXPECT_NE(e.find("mols.csv:3: column 2: 'abc' is not a number"), std::string::npos) << e;
  write("smiles,y\nCC,1,7\n");
  e = error();
  EXPECT_NE(e.find("mols.csv:2: expected 2 columns, found 3"), std::string::npos) << e;
  write("smiles,y\n\"CC,1\n");
  e = error();
  EXPECT_NE(e.find("mols.csv:2: a quoted field is not closed"), std::string::npos) << e;
  write("smiles,y\n,1\n");
  e = error();
  EXPECT_NE(e.find("mols.csv:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("no atoms"), std::string::npos) << e;
  write("smiles,y\n");
  e = error();
  EXPECT_NE(e.find("no molecules"), std::string::npos) << e;
  write("smiles,y\nC1CC,1\n");
  e = error(true);
  EXPECT_NE(e.find("all 1 rows were rejected"), std::string::npos) << e;
  write("smiles,a,b\nCC,1,2\n");
  e = error();
  EXPECT_NE(e.find("target_column"), std::string::npos) << e;
  testing::write_text(dir_ / "meta.json", R"({"target_column": "c"})");
  e = error();
  EXPECT_NE(e.find("meta.json: field \"target_column\" names 'c'"), std::string::npos) << e;
}

TEST(Esol, ReadsAsDocumented) {
  const fs::path dir = fs::path(HEED_TEST_DATA_DIR) / "esol";
  if (!fs::exists(dir / "delaney-processed.csv")) GTEST_SKIP() << "no " << dir;
  ASSERT_TRUE(data::is_graph_dataset(dir));
  const data::GraphDataset d = data::read_graph_dataset(dir);
  EXPECT_EQ(d.name, "esol");
  EXPECT_EQ(d.num_graphs(), 1128);
  // PyG's from_smiles on the same SMILES: 14991 atoms, 15428 bonds.
  EXPECT_EQ(d.graphs.graph.num_nodes(), 14991);
  EXPECT_EQ(d.graphs.graph.num_edges(), 2 * 15428);
  double sum = 0, lo = 1e9, hi = -1e9;
  for (std::size_t g = 0; g < d.values.rows(); ++g) {
    sum += d.values(g, 0);
    lo = std::min(lo, double(d.values(g, 0)));
    hi = std::max(hi, double(d.values(g, 0)));
  }
  EXPECT_NEAR(sum / 1128, -3.050, 0.0005);  // data/README.md: mean -3.050
  EXPECT_FLOAT_EQ(float(lo), -11.6f);
  EXPECT_FLOAT_EQ(float(hi), 1.58f);
}

}  // namespace
}  // namespace heed
