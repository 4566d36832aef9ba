// The caching allocator behind Storage.
//
// Blocks are rounded up to a power of two (at least 64 bytes) and freed blocks wait in a per-size free list. The cache
// is capped so a program that once needed a huge buffer does not keep it forever. Under AddressSanitizer the cache is
// off and every block is exactly the size asked for, so that a use-after-free is still caught, and so is an overflow
// of a few bytes (with rounding, writing element 3 of a 2-element tensor would land in the slack unseen).
//
// In front of the shared cache each thread keeps a few small blocks of its own (up to 64 KiB, 32 per size), taken and
// returned without the mutex. A small model's step makes dozens of tiny tensors, and the lock on every allocation and
// every free was a sixth of a context-network step (issue 14); the thread's blocks go to the shared cache when the
// thread ends. For the same reason each thread keeps its own counters (live storages and bytes, requests, system
// allocations): a locked add on a shared counter at every allocation and free cost as much again. A reader sums them.
#include "tensor/storage.h"

#include <atomic>
#include <bit>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
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
// A request whose size class has no free block takes a free block of the next class up (at most twice the size it
// needs) before asking the system for a new one; the block goes back to its own class when freed. Without this the
// cache keeps each size class's own peak: a training step's forward and backward need different mixes of sizes, and
// the classes' peaks at different moments add up. The baby GPT's blocks (examples/gpt) summed to 62 MB for a peak of
// 50 MB of tensors; borrowing one class up, 57 MB (a replay of its allocations through both policies), and the steady
// state still asks the system for nothing. Two classes up wastes more than it saves (64 MB).
constexpr size_t kBorrow = 1;

// One thread's counters. Only their thread writes them (a plain load and store, no locked instruction); they are
// atomics so that a reader on another thread may load them while they change.
struct Counters {
  std::atomic<int64_t> live{0}, live_bytes{0}, requests{0}, system{0};
};
void bump(std::atomic<int64_t>& c, int64_t by) {
  c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// Every live thread's counters, and the sums of the threads that have ended (updated with locked adds, rarely).
struct CounterRegistry {
  std::mutex mu;
  std::vector<const Counters*> threads;
  Counters ended;
};
CounterRegistry& registry() {
  static CounterRegistry* r = new CounterRegistry();  // never destroyed, as the cache below
  return *r;
}

int64_t total(std::atomic<int64_t> Counters::*field) {
  CounterRegistry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  int64_t sum = (r.ended.*field).load(std::memory_order_relaxed);
  for (const Counters* c : r.threads) sum += (c->*field).load(std::memory_order_relaxed);
  return sum;
}

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

// A thread's own free lists of small blocks and its counters (see the top of this file). t_state says whether they
// exist: a block freed while the thread's thread_local objects are being destroyed goes to the shared cache instead.
constexpr int kLocalMaxBucket = 16;  // blocks up to 2^16 bytes = 64 KiB
constexpr size_t kLocalMaxBlocks = 32;
thread_local int t_state = 0;  // 0 not made yet, 1 alive, 2 destroyed

void deallocate_shared(void* p, size_t bytes);

struct ThreadLocal {
  std::vector<void*> free_lists[kLocalMaxBucket + 1];
  Counters counters;
  ThreadLocal() {
    CounterRegistry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    r.threads.push_back(&counters);
    t_state = 1;
  }
  ~ThreadLocal() {
    t_state = 2;
    {
      CounterRegistry& r = registry();
      std::lock_guard<std::mutex> lock(r.mu);
      for (auto field : {&Counters::live, &Counters::live_bytes, &Counters::requests, &Counters::system}) {
        (r.ended.*field).fetch_add((counters.*field).load(std::memory_order_relaxed), std::memory_order_relaxed);
      }
      std::erase(r.threads, &counters);
    }
    for (int b = 0; b <= kLocalMaxBucket; ++b) {
      for (void* p : free_lists[b]) deallocate_shared(p, size_t{1} << b);
    }
  }
};
thread_local ThreadLocal t_local;

// Adds to a counter of the calling thread (or, while its thread_local objects are being destroyed, to the ended sums).
void count(std::atomic<int64_t> Counters::*field, int64_t by) {
  if (t_state != 2) {
    bump(t_local.counters.*field, by);
  } else {
    (registry().ended.*field).fetch_add(by, std::memory_order_relaxed);
  }
}

// This thread's free list for blocks of `bytes` (a power of two), or nullptr when they are not kept locally.
std::vector<void*>* local_list(size_t bytes) {
  if (!kCacheEnabled || t_state == 2) return nullptr;
  const int bucket = std::countr_zero(bytes);
  return bucket <= kLocalMaxBucket ? &t_local.free_lists[bucket] : nullptr;
}

size_t bucket_bytes(size_t nbytes) { return kCacheEnabled ? std::bit_ceil(std::max(nbytes, kAlign)) : nbytes; }

// A block and its size (a power of two; under the sanitizer exactly the size asked for).
struct Block {
  void* p;
  size_t bytes;
};

Block allocate(size_t nbytes) {
  size_t bytes = bucket_bytes(nbytes);
  count(&Counters::requests, 1);
  if (std::vector<void*>* local = local_list(bytes); local != nullptr && !local->empty()) {
    void* p = local->back();
    local->pop_back();
    return {p, bytes};
  }
  if (kCacheEnabled) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    // A block of the request's size, else one of the next size up (see kBorrow above).
    for (size_t b = std::countr_zero(bytes); b <= std::countr_zero(bytes) + kBorrow && b < 64; ++b) {
      auto& list = c.free_lists[b];
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        c.cached_bytes -= size_t{1} << b;
        return {p, size_t{1} << b};
      }
    }
  }
  count(&Counters::system, 1);
  // posix_memalign, unlike aligned_alloc, takes any size, including the exact, unrounded one used under the sanitizer.
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, bytes) != 0) throw std::bad_alloc();
  return {p, bytes};
}

// `bytes`: the block's size as allocate returned it (perhaps larger than its storage asked for).
void deallocate(void* p, size_t bytes) {
  if (std::vector<void*>* local = local_list(bytes); local != nullptr && local->size() < kLocalMaxBlocks) {
    local->push_back(p);  // the vector keeps its capacity: after the first few steps this never allocates
    return;
  }
  deallocate_shared(p, bytes);
}

void deallocate_shared(void* p, size_t bytes) {
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

Storage::Storage(size_t nbytes) : nbytes_(nbytes) {
  const Block block = allocate(nbytes);
  data_ = block.p;
  block_bytes_ = block.bytes;
  count(&Counters::live, 1);
  count(&Counters::live_bytes, static_cast<int64_t>(nbytes));
}

Storage::~Storage() {
  deallocate(data_, block_bytes_);
  count(&Counters::live, -1);  // perhaps on another thread than the one that counted it in: the sums stay right
  count(&Counters::live_bytes, -static_cast<int64_t>(nbytes_));
}

int64_t Storage::live_count() { return total(&Counters::live); }
int64_t Storage::live_bytes() { return total(&Counters::live_bytes); }

// The shared cache's blocks and the calling thread's own (another thread's own stay with it until it ends).
void empty_cache() {
  if (kCacheEnabled && t_state != 2) {  // the calling thread's own blocks too
    for (int b = 0; b <= kLocalMaxBucket; ++b) {
      for (void* p : t_local.free_lists[b]) std::free(p);
      t_local.free_lists[b].clear();
    }
  }
  cache().release_all();
#if defined(__GLIBC__)
  // free() keeps most of those blocks: glibc serves blocks below its mmap threshold (which rises to the size of the
  // largest block freed so far, a checkpoint's buffer, say) from its heap, and gives heap memory back only from the
  // top. malloc_trim also returns the whole free pages in the middle.
  malloc_trim(0);
#endif
}

AllocatorStats allocator_stats() {
  AllocatorStats stats{total(&Counters::requests), total(&Counters::system)};
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  stats.cached_bytes = static_cast<int64_t>(c.cached_bytes);
  return stats;
}

}  // namespace glimpse
