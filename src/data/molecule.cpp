#include "heed/data/molecule.hpp"

#include <GraphMol/RWMol.h>
#include <GraphMol/SmilesParse/SmilesParse.h>
#include <RDGeneral/RDLog.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "heed/error.hpp"

namespace heed::data {
namespace {

std::int32_t checked(int value, int offset, int size, const char* what, unsigned atom,
                     const char* kind) {
  const int index = value + offset;
  if (index < 0 || index >= size) {
    throw Error(std::string(kind) + " " + std::to_string(atom) + " has " + what + " " +
                std::to_string(value) + ", outside the feature set (" + std::to_string(-offset) +
                " to " + std::to_string(size - 1 - offset) + ")");
  }
  return index;
}

}  // namespace

int atom_feature_width() {
  return std::accumulate(kAtomFeatureSizes.begin(), kAtomFeatureSizes.end(), 0);
}
int bond_feature_width() {
  return std::accumulate(kBondFeatureSizes.begin(), kBondFeatureSizes.end(), 0);
}

Molecule molecule_from_smiles(const std::string& smiles) {
  std::unique_ptr<RDKit::RWMol> mol;
  {
    // RDKit logs its reasons to stderr; heed's error says them instead.
    RDLog::LogStateSetter quiet;
    try {
      mol.reset(RDKit::SmilesToMol(smiles));
    } catch (const std::exception& e) {
      throw Error(std::string("RDKit rejects it: ") + e.what());
    }
  }
  if (!mol) throw Error("RDKit cannot parse it");
  if (mol->getNumAtoms() == 0) throw Error("the molecule has no atoms");

  Molecule m;
  const RDKit::RingInfo* rings = mol->getRingInfo();
  for (const RDKit::Atom* a : mol->atoms()) {
    const unsigned i = a->getIdx();
    const char* kind = "atom";
    m.atoms.push_back({
        checked(int(a->getAtomicNum()), 0, kAtomFeatureSizes[0], "atomic number", i, kind),
        checked(int(a->getChiralTag()), 0, kAtomFeatureSizes[1], "chirality tag", i, kind),
        checked(int(a->getTotalDegree()), 0, kAtomFeatureSizes[2], "degree", i, kind),
        checked(a->getFormalCharge(), 5, kAtomFeatureSizes[3], "formal charge", i, kind),
        checked(int(a->getTotalNumHs()), 0, kAtomFeatureSizes[4], "hydrogen count", i, kind),
        checked(int(a->getNumRadicalElectrons()), 0, kAtomFeatureSizes[5], "radical electrons", i,
                kind),
        checked(int(a->getHybridization()), 0, kAtomFeatureSizes[6], "hybridisation", i, kind),
        a->getIsAromatic() ? 1 : 0,
        rings->numAtomRings(i) > 0 ? 1 : 0,
    });
  }
  for (const RDKit::Bond* b : mol->bonds()) {
    const unsigned k = b->getIdx();
    const std::array<std::int32_t, 3> f{
        checked(int(b->getBondType()), 0, kBondFeatureSizes[0], "bond type", k, "bond"),
        checked(int(b->getStereo()), 0, kBondFeatureSizes[1], "stereo", k, "bond"),
        b->getIsConjugated() ? 1 : 0};
    const auto i = std::int32_t(b->getBeginAtomIdx()), j = std::int32_t(b->getEndAtomIdx());
    m.edges.push_back({i, j});
    m.edges.push_back({j, i});
    m.edge_features.push_back(f);
    m.edge_features.push_back(f);
  }
  std::vector<std::size_t> order(m.edges.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return m.edges[a] < m.edges[b]; });
  Molecule sorted;
  sorted.atoms = std::move(m.atoms);
  for (std::size_t k : order) {
    sorted.edges.push_back(m.edges[k]);
    sorted.edge_features.push_back(m.edge_features[k]);
  }
  return sorted;
}

}  // namespace heed::data
