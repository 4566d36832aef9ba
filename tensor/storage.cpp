// The caching allocator behind Storage.
//
// Blocks are rounded up to a power of two (at least 64 bytes) and freed blocks wait in a per-size free list. The cache
// is capped so a program that once needed a huge buffer does not keep it forever. Under AddressSanitizer the cache is
// off and every block is exactly the size asked for, so that a use-after-free is still caught, and so is an overflow
// of a few bytes (with rounding, writing element 3 of a 2-element tensor would land in the slack unseen).
#include "tensor/storage.h"

#include <atomic>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace glimpse {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheEnabled = false;
#else
constexpr bool kCacheEnabled = true;
#endif

constexpr size_t kAlign = 64;
constexpr size_t kMaxCachedBytes = size_t{1} << 30;  // beyond this, freed blocks go straight back to the system

std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_live_bytes{0};
std::atomic<int64_t> g_requests{0}, g_system{0};  // allocator_stats()

struct Cache {
  std::mutex mu;
  std::vector<void*> free_lists[64];
  size_t cached_bytes = 0;

  ~Cache() { release_all(); }
  void release_all() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& list : free_lists) {
      for (void* p : list) std::free(p);
      list.clear();
    }
    cached_bytes = 0;
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: storages may be freed during static destruction
  return *c;
}

size_t bucket_bytes(size_t nbytes) { return kCacheEnabled ? std::bit_ceil(std::max(nbytes, kAlign)) : nbytes; }

void* allocate(size_t nbytes) {
  size_t bytes = bucket_bytes(nbytes);
  g_requests.fetch_add(1, std::memory_order_relaxed);
  if (kCacheEnabled) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto& list = c.free_lists[std::countr_zero(bytes)];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      c.cached_bytes -= bytes;
      return p;
    }
  }
  g_system.fetch_add(1, std::memory_order_relaxed);
  // posix_memalign, unlike aligned_alloc, takes any size, including the exact, unrounded one used under the sanitizer.
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, bytes) != 0) throw std::bad_alloc();
  return p;
}

void deallocate(void* p, size_t nbytes) {
  size_t bytes = bucket_bytes(nbytes);
  if (kCacheEnabled) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached_bytes + bytes <= kMaxCachedBytes) {
      c.free_lists[std::countr_zero(bytes)].push_back(p);
      c.cached_bytes += bytes;
      return;
    }
  }
  std::free(p);
}

}  // namespace

Storage::Storage(size_t nbytes) : data_(allocate(nbytes)), nbytes_(nbytes) {
  g_live.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
}

Storage::~Storage() {
  deallocate(data_, nbytes_);
  g_live.fetch_sub(1, std::memory_order_relaxed);
  g_live_bytes.fetch_sub(static_cast<int64_t>(nbytes_), std::memory_order_relaxed);
}

int64_t Storage::live_count() { return g_live.load(std::memory_order_relaxed); }
int64_t Storage::live_bytes() { return g_live_bytes.load(std::memory_order_relaxed); }

void empty_cache() { cache().release_all(); }

AllocatorStats allocator_stats() {
  return {g_requests.load(std::memory_order_relaxed), g_system.load(std::memory_order_relaxed)};
}

}  // namespace glimpse
