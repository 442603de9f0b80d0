#pragma once
// The one exception type heed throws at its API boundary. Messages carry their
// context (file, line, flag or shape) so a user can act on them.
#include <stdexcept>
#include <string>

namespace heed {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace heed
