#pragma once
// Finite-difference checks run thousands of forward passes on a handful of
// nodes. With two threads, every parallel region then waits for a thread
// that another test process (ctest -j2 on 2 cores) may have descheduled:
// a 0.3 s check took 4 minutes in CI. One thread for the check's duration;
// the previous count comes back afterwards.
#include "heed/tensor/blas.hpp"

namespace heed::testing {

class SingleThread {
 public:
  SingleThread() : before_(num_threads()) { set_num_threads(1); }
  ~SingleThread() { set_num_threads(before_); }
  SingleThread(const SingleThread&) = delete;
  SingleThread& operator=(const SingleThread&) = delete;

 private:
  int before_;
};

}  // namespace heed::testing
