#pragma once
// The machine's sustainable memory bandwidth, measured the way STREAM does:
// a[i] = b[i] + s * c[i] over arrays far larger than the caches, on all of
// heed's threads, counting 3 x 8 bytes per element (2 reads, 1 write).
namespace heed::bench {

struct TriadResult {
  double gb_per_s = 0;  // best of the repeats, as STREAM reports
  double array_mib = 0;
};

TriadResult stream_triad(double array_mib = 256.0, int repeats = 10);

}  // namespace heed::bench
