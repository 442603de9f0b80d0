#include "heed/tensor/buffer_cache.hpp"

#include <sys/mman.h>

#include <new>
#include <vector>

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
  for (const Held& h : held_) unmap_pages(h.p, h.bytes);
}

BufferCache::Mapping BufferCache::take(std::size_t bytes, bool* reused) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = by_size_.lower_bound(bytes);
        it != by_size_.end() && it->first <= bytes + bytes / 2) {
      const Mapping m{it->second->p, it->first};
      held_.erase(it->second);
      by_size_.erase(it);
      cached_ -= m.bytes;
      in_use_ += m.bytes;
      if (in_use_ > most_in_use_) most_in_use_ = in_use_;
      *reused = true;
      return m;
    }
    in_use_ += bytes;
    if (in_use_ > most_in_use_) most_in_use_ = in_use_;
    ++mappings_made_;
  }
  *reused = false;
  try {
    return {map_huge_pages(bytes), bytes};
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ -= bytes;
    throw;
  }
}

void BufferCache::give_back(void* p, std::size_t bytes) {
  std::vector<Held> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_use_ -= bytes;
    // Twice the largest use: a step's buffers of all sizes can add up to
    // more than it ever had out at once, when it frees some before it takes
    // others (an eval pass frees its node scores before its ELU takes a
    // buffer); bounded by the largest use alone, the cache unmapped a
    // buffer at the end of every such step and faulted it in at the next.
    if (bytes > 2 * most_in_use_) {
      evicted.push_back({bytes, p});
    } else {
      by_size_.emplace(bytes, held_.insert(held_.end(), Held{bytes, p}));
      cached_ += bytes;
      while (cached_ > 2 * most_in_use_) {
        const Held oldest = held_.front();
        // by_size_ holds this entry among those of its size; find it.
        auto [first, last] = by_size_.equal_range(oldest.bytes);
        for (auto it = first; it != last; ++it) {
          if (it->second == held_.begin()) {
            by_size_.erase(it);
            break;
          }
        }
        held_.pop_front();
        cached_ -= oldest.bytes;
        evicted.push_back(oldest);
      }
    }
  }
  for (const Held& h : evicted) unmap_pages(h.p, h.bytes);
}

std::size_t BufferCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

std::size_t BufferCache::mappings_made() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return mappings_made_;
}

std::size_t BufferCache::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_;
}

}  // namespace heed
