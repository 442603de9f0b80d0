#pragma once
// The kernels' argument check: a span of the wrong length is a caller's bug
// that would otherwise read or write out of bounds, so it throws, naming the
// kernel and the argument.
#include <cstddef>
#include <string>

#include "heed/error.hpp"

namespace heed::kernels {

inline void check_size(const char* kernel, const char* what, std::size_t got, std::size_t want) {
  if (got != want) {
    throw Error(std::string(kernel) + " kernel: " + what + " has " + std::to_string(got) +
                " elements, expected " + std::to_string(want));
  }
}

}  // namespace heed::kernels
