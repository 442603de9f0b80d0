# RDKit's C++ libraries as Debian's librdkit-dev installs them (it ships no
# CMake package): RDKit::RDKit, the SMILES parser with the molecule classes
# and RDKit's general library. Its headers include Boost's (libboost-dev).
find_path(RDKit_INCLUDE_DIR GraphMol/SmilesParse/SmilesParse.h PATH_SUFFIXES rdkit)
find_path(RDKit_Boost_INCLUDE_DIR boost/version.hpp)
set(RDKit_libraries SmilesParse GraphMol RDGeneral)
set(RDKit_library_vars)
foreach(lib IN LISTS RDKit_libraries)
  find_library(RDKit_${lib}_LIBRARY RDKit${lib})
  list(APPEND RDKit_library_vars RDKit_${lib}_LIBRARY)
endforeach()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(RDKit
  REQUIRED_VARS RDKit_INCLUDE_DIR RDKit_Boost_INCLUDE_DIR ${RDKit_library_vars}
  REASON_FAILURE_MESSAGE "install Debian's librdkit-dev and libboost-dev")
if(RDKit_FOUND AND NOT TARGET RDKit::RDKit)
  add_library(RDKit::RDKit INTERFACE IMPORTED)
  set_target_properties(RDKit::RDKit PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RDKit_INCLUDE_DIR};${RDKit_Boost_INCLUDE_DIR}")
  foreach(lib IN LISTS RDKit_libraries)
    set_property(TARGET RDKit::RDKit APPEND PROPERTY INTERFACE_LINK_LIBRARIES
                 "${RDKit_${lib}_LIBRARY}")
  endforeach()
endif()

# RDKit's 2-D depiction and SVG drawing, for the command line's molecule
# pictures (heed explain --graph): RDKit::MolDraw2D.
foreach(lib MolDraw2D Depictor)
  find_library(RDKit_${lib}_LIBRARY RDKit${lib})
endforeach()
if(RDKit_FOUND AND RDKit_MolDraw2D_LIBRARY AND RDKit_Depictor_LIBRARY
   AND NOT TARGET RDKit::MolDraw2D)
  add_library(RDKit::MolDraw2D INTERFACE IMPORTED)
  set_target_properties(RDKit::MolDraw2D PROPERTIES INTERFACE_LINK_LIBRARIES
    "RDKit::RDKit;${RDKit_MolDraw2D_LIBRARY};${RDKit_Depictor_LIBRARY}")
endif()
