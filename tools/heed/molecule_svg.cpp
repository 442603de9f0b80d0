#include "molecule_svg.hpp"

#include <GraphMol/Depictor/RDDepictor.h>
#include <GraphMol/MolDraw2D/MolDraw2DSVG.h>
#include <GraphMol/RWMol.h>
#include <GraphMol/SmilesParse/SmilesParse.h>
#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "attention_picture.hpp"
#include "heed/error.hpp"

namespace heed::cli {
namespace {

// White to a saturated orange-red: light enough at 0 that the atom symbol
// stays legible, dark enough at 1 to stand out.
RDKit::DrawColour shade_colour(double s) {
  s = std::clamp(s, 0.0, 1.0);
  return {1.0, 1.0 - 0.65 * s, 1.0 - 0.85 * s};
}

}  // namespace

std::string molecule_svg(const std::string& smiles, std::span<const double> atom_weight,
                         std::span<const std::array<std::int64_t, 2>> bonds,
                         std::span<const double> bond_weight, const std::string& legend) {
  const std::vector<double> atom_shade = shades(atom_weight), bond_shade = shades(bond_weight);
  std::unique_ptr<RDKit::RWMol> mol;
  try {
    mol.reset(RDKit::SmilesToMol(smiles));
  } catch (const std::exception& e) {
    throw Error("RDKit cannot read the SMILES \"" + smiles + "\": " + e.what());
  }
  if (!mol) throw Error("RDKit cannot read the SMILES \"" + smiles + "\"");
  if (mol->getNumAtoms() != atom_shade.size()) {
    throw Error(fmt::format("the SMILES \"{}\" has {} atoms, the graph {} nodes", smiles,
                            mol->getNumAtoms(), atom_shade.size()));
  }
  RDDepict::compute2DCoords(*mol);

  std::vector<int> atoms, bond_ids;
  std::map<int, RDKit::DrawColour> atom_colours, bond_colours;
  std::map<int, double> radii;
  for (unsigned a = 0; a < mol->getNumAtoms(); ++a) {
    atoms.push_back(int(a));
    atom_colours[int(a)] = shade_colour(atom_shade[a]);
    radii[int(a)] = 0.3 + 0.15 * std::clamp(atom_shade[a], 0.0, 1.0);
    mol->getAtomWithIdx(a)->setProp(RDKit::common_properties::atomNote,
                                    fmt::format("{:.2f}", atom_weight[a]));
  }
  for (std::size_t e = 0; e < bond_shade.size(); ++e) {
    const RDKit::Bond* bond =
        mol->getBondBetweenAtoms(unsigned(bonds[e][0]), unsigned(bonds[e][1]));
    if (bond == nullptr) {
      throw Error(
          fmt::format("atoms {} and {} of \"{}\" share no bond", bonds[e][0], bonds[e][1], smiles));
    }
    bond_ids.push_back(int(bond->getIdx()));
    bond_colours[int(bond->getIdx())] = shade_colour(bond_shade[e]);
  }
  RDKit::MolDraw2DSVG drawer(520, 420);
  drawer.drawOptions().legendFontSize = 14;
  drawer.drawMolecule(*mol, legend, &atoms, &bond_ids, &atom_colours, &bond_colours, &radii);
  drawer.finishDrawing();
  // RDKit draws the legend as outlines; a <title> keeps it as text too.
  std::string svg = drawer.getDrawingText();
  const std::size_t open = svg.find("<svg");
  const std::size_t end = open == std::string::npos ? open : svg.find('>', open);
  if (end != std::string::npos) svg.insert(end + 1, "\n<title>" + svg_escaped(legend) + "</title>");
  return svg;
}

}  // namespace heed::cli
