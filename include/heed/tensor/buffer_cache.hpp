#pragma once
// Large tensor buffers kept between training steps. A step of a big graph
// allocates the same buffers (projections, outputs, gradients) every time,
// and the kernel hands each fresh mapping out zeroed, one page fault at a
// time: on a VM that cost about a fifth of a GAT layer's step. A cache keeps
// the mappings its tensors release and hands them out again by size, with
// their huge pages already in place. It is an object (a tape, a trainer or
// a benchmark holds one), never global; tensors that outlive it unmap their
// buffers themselves.
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>

namespace heed {

class BufferCache {
 public:
  BufferCache() = default;
  BufferCache(const BufferCache&) = delete;
  BufferCache& operator=(const BufferCache&) = delete;
  ~BufferCache();

  struct Mapping {
    void* p;
    std::size_t bytes;  // what to give back: at least the bytes asked for
  };
  /// A mapping of at least `bytes` (a whole number of pages): the smallest
  /// one given back before that is no more than half as large again, or
  /// else a new one of exactly `bytes`; `reused` says which (a new one is
  /// zeroed, a reused one holds old values). Batches of whole graphs differ
  /// in size from step to step, and a step's buffers then fit in those of a
  /// larger batch rather than mapping fresh pages.
  Mapping take(std::size_t bytes, bool* reused);
  /// Takes a mapping back. The cache holds no more than twice its largest
  /// use so far (the most bytes out at once): past that, the mappings given
  /// back longest ago are unmapped, so a cache holds what the recent steps
  /// needed, and sizes that steps no longer take (batches of other sizes)
  /// make way.
  void give_back(void* p, std::size_t bytes);

  std::size_t cached_bytes() const;
  std::size_t bytes_in_use() const;
  /// How many fresh mappings take() has made (the misses).
  std::size_t mappings_made() const;

 private:
  mutable std::mutex mutex_;
  struct Held {
    std::size_t bytes;
    void* p;
  };
  std::list<Held> held_;  // oldest first
  std::multimap<std::size_t, std::list<Held>::iterator> by_size_;
  std::size_t cached_ = 0;
  std::size_t in_use_ = 0;
  std::size_t most_in_use_ = 0;
  std::size_t mappings_made_ = 0;
};

/// Page mappings of large buffers, in transparent huge pages where they are
/// that large (the random gathers of sparse kernels miss the TLB on 4 KiB
/// pages). `bytes` is a whole number of pages.
void* map_huge_pages(std::size_t bytes);
void unmap_pages(void* p, std::size_t bytes);
inline constexpr std::size_t kHugePageBytes = std::size_t(2) << 20;

}  // namespace heed
