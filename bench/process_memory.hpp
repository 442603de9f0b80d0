#pragma once
// The peak resident memory of this process, as the kernel counts it
// (getrusage's ru_maxrss): everything the process ever touched at once,
// libraries and allocator slack included, as /usr/bin/time reports it.

namespace heed::bench {

double peak_rss_mib();

}  // namespace heed::bench
