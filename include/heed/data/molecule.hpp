#pragma once
// Molecules as graphs: atoms are nodes and bonds are edges, read from SMILES
// by RDKit, with the atom and bond features of OGB and of PyG's from_smiles.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace heed::data {

/// How many values each atom feature takes, in from_smiles's order: atomic
/// number (0-118), chirality tag (9), total degree (0-10), formal charge
/// (-5 to 6), total hydrogens (0-8), radical electrons (0-4), hybridisation
/// (8), aromatic, in a ring.
inline constexpr std::array<int, 9> kAtomFeatureSizes{119, 9, 11, 12, 9, 5, 8, 2, 2};
/// Bond features: bond type (22, RDKit's BondType order), stereo (6),
/// conjugated.
inline constexpr std::array<int, 3> kBondFeatureSizes{22, 6, 2};

struct Molecule {
  /// Per atom, the index of each feature's value (what from_smiles stores:
  /// the formal charge c as c + 5).
  std::vector<std::array<std::int32_t, 9>> atoms;
  /// Both directions of every bond as (source, destination), sorted by
  /// source then destination (from_smiles's edge_index order), and each
  /// one's bond features.
  std::vector<std::array<std::int32_t, 2>> edges;
  std::vector<std::array<std::int32_t, 3>> edge_features;
};

/// The molecule RDKit reads from `smiles` (sanitised, hydrogens implicit).
/// heed::Error saying why if RDKit rejects it, if it has no atoms, or if a
/// value lies outside the feature set (a degree of 11, say).
Molecule molecule_from_smiles(const std::string& smiles);

/// Width of the one-hot atom and bond features (177 and 30).
int atom_feature_width();
int bond_feature_width();

}  // namespace heed::data
