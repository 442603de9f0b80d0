#include "process_memory.hpp"

#include <sys/resource.h>

namespace heed::bench {

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace heed::bench
