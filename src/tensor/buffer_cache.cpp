#include "heed/tensor/buffer_cache.hpp"

#include <sys/mman.h>

#include <new>

namespace heed {

void* map_huge_pages(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure is harmless
  return p;
}

void unmap_pages(void* p, std::size_t bytes) {
  munmap(p, bytes);
}

BufferCache::~BufferCache() {
  for (auto& [bytes, p] : free_) unmap_pages(p, bytes);
}

void* BufferCache::take(std::size_t bytes, bool* reused) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ += bytes;
    if (in_use_ > most_in_use_) most_in_use_ = in_use_;
    if (auto it = free_.find(bytes); it != free_.end()) {
      void* p = it->second;
      free_.erase(it);
      cached_ -= bytes;
      *reused = true;
      return p;
    }
  }
  *reused = false;
  try {
    return map_huge_pages(bytes);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ -= bytes;
    throw;
  }
}

void BufferCache::give_back(void* p, std::size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ -= bytes;
    // Twice the largest use: a step's buffers of all sizes can add up to
    // more than it ever had out at once, when it frees some before it takes
    // others (an eval pass frees its node scores before its ELU takes a
    // buffer); bounded by the largest use alone, the cache unmapped a
    // buffer at the end of every such step and faulted it in at the next.
    if (cached_ + bytes <= 2 * most_in_use_) {
      free_.emplace(bytes, p);
      cached_ += bytes;
      return;
    }
  }
  unmap_pages(p, bytes);
}

std::size_t BufferCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

std::size_t BufferCache::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_;
}

}  // namespace heed
