cmake_minimum_required(VERSION 3.25)
# Fails when a library folder includes a header of a folder above it.
#   cmake -DROOT=<source dir> -P cmake/check_layering.cmake
# Each layer may include its own headers, those of the layers listed for it
# here, and heed/error.hpp. The list is the architecture's table
# (docs/architecture.md); a change to it is a change to the architecture.
set(allowed_tensor tensor)
set(allowed_graph tensor graph)
set(allowed_kernels tensor graph kernels)
set(allowed_autograd tensor graph kernels autograd)
set(allowed_nn tensor graph kernels autograd nn)
set(allowed_optim tensor graph kernels autograd optim)
set(allowed_data tensor graph data)
set(allowed_train tensor graph kernels autograd nn optim data train)
set(allowed_studies tensor graph kernels autograd nn optim data train studies)
set(allowed_interop tensor graph kernels autograd nn optim data train interop)
set(allowed_download tensor graph data download)
set(layers tensor graph kernels autograd nn optim data train studies interop download)

set(violations "")
foreach(layer IN LISTS layers)
  file(GLOB_RECURSE files ${ROOT}/include/heed/${layer}/*.hpp ${ROOT}/src/${layer}/*.hpp
       ${ROOT}/src/${layer}/*.cpp)
  foreach(file IN LISTS files)
    file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]heed/")
    foreach(line IN LISTS includes)
      string(REGEX MATCH "heed/([a-z_]+)/" found "${line}")
      if(NOT found)
        continue()  # heed/error.hpp, shared by every layer
      endif()
      set(used ${CMAKE_MATCH_1})
      if(NOT used IN_LIST allowed_${layer})
        file(RELATIVE_PATH shown ${ROOT} ${file})
        string(STRIP "${line}" line)
        string(APPEND violations "  ${shown}: ${line} (the ${layer} layer may use: ${allowed_${layer}})\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "heed's layering is broken: a layer includes one above it\n${violations}")
endif()
