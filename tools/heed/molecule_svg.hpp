#pragma once
// A molecule drawn by RDKit (its 2-D depiction, MolDraw2DSVG) with atoms and
// bonds shaded by weights: what `heed explain --graph` draws for a model
// trained on molecules.
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace heed::cli {

/// `atom_weight` has one value per atom in RDKit's order (that of the
/// SMILES); `bonds` are atom pairs, each with its `bond_weight` (may be
/// empty: no bond shading). Shades are weight / largest weight; each atom
/// carries its weight as a note. heed::Error if RDKit rejects the SMILES,
/// the atom count differs, or a pair is no bond.
std::string molecule_svg(const std::string& smiles, std::span<const double> atom_weight,
                         std::span<const std::array<std::int64_t, 2>> bonds,
                         std::span<const double> bond_weight, const std::string& legend);

}  // namespace heed::cli
