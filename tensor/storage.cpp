// The caching allocator behind Storage.
//
// Blocks are rounded up to a size class (powers of two of at least 64 bytes up to 64 KiB, four classes per power of two
// above) and freed blocks wait in a per-class free list; a request whose class is empty may take a free block up to
// twice its size. The cache is capped so a program that once needed a huge buffer does not keep it forever. Under
// AddressSanitizer the cache is off and every block is exactly the size asked for, so that a use-after-free is still
// caught, and so is an overflow of a few bytes (with rounding, writing element 3 of a 2-element tensor would land in
// the slack unseen).
//
// A storage of at most Storage::kInlineBytes takes no block at all: its bytes live inside the Storage object
// (storage.h).
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
#include <sys/mman.h>
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
// A request whose size class has no free block takes the smallest free block of the classes up to twice its size
// before asking the system for a new one; the block goes back to its own class when freed. Without this the cache
// keeps each size class's own peak: a training step's forward and backward need different mixes of sizes, and the
// classes' peaks at different moments add up. The steady state of a training step still asks the system for nothing
// (tests/optim/test_training_step.cpp).
constexpr size_t kBorrow = 2;

constexpr int kLocalMaxBucket = 16;  // blocks up to 2^16 bytes = 64 KiB may stay with their thread

// The size class of a block: its index in the free lists and its size. Up to 64 KiB the classes are powers of two
// (indices 0..16, the ones a thread keeps locally). Above, each power of two is cut in four: 2^k < n <= 2^(k+1)
// goes to 2^k + j 2^k / 4 for the smallest j = 1..4 that holds it, so a block wastes at most a fifth of itself
// instead of up to half. Only touched pages are resident, but a block reused by many sizes ends up touched to its
// end, and the baby GPT's tensors (384 KiB, 1.1 MiB, 1.5 MiB: 512 KiB and 2 MiB blocks as powers of two) summed to
// 75 MB of blocks for 50 MB of tensors; with quarter steps and the borrowing above, 58 MB (a replay of its
// allocations through both policies).
struct SizeClass {
  int index;
  size_t bytes;
};
constexpr int kFineFrom = kLocalMaxBucket + 1;  // the first quarter-step class: 2^16 + 2^14 bytes
constexpr int kNumClasses = kFineFrom + 4 * (64 - kLocalMaxBucket);

size_t class_bytes(int index) {
  if (index < kFineFrom) return size_t{1} << index;
  const int k = kLocalMaxBucket + (index - kFineFrom) / 4;
  return (size_t{1} << k) + static_cast<size_t>((index - kFineFrom) % 4 + 1) * ((size_t{1} << k) / 4);
}

SizeClass size_class(size_t nbytes) {
  const size_t pow2 = std::bit_ceil(std::max(nbytes, kAlign));
  if (pow2 <= (size_t{1} << kLocalMaxBucket)) return {std::countr_zero(pow2), pow2};
  const int k = std::bit_width(nbytes - 1) - 1;  // 2^k < nbytes <= 2^(k+1)
  const int j = static_cast<int>((nbytes - 1 - (size_t{1} << k)) / ((size_t{1} << k) / 4));  // 0..3
  const int index = kFineFrom + 4 * (k - kLocalMaxBucket) + j;
  return {index, class_bytes(index)};
}

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

// Blocks of this size and above come straight from the kernel (mmap) and go back to it (munmap), past the C
// library's heap: only the pages a tensor touched are resident, and glibc's heap, whose mmap threshold rises to the
// largest buffer it has freed (a checkpoint's 10 MB), cannot keep freed pages of ours resident between its own chunks.
constexpr size_t kMapFrom = size_t{256} << 10;

void* system_alloc(size_t bytes) {
  if (kCacheEnabled && bytes >= kMapFrom) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);  // page-aligned
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }
  // posix_memalign, unlike aligned_alloc, takes any size, including the exact, unrounded one used under the sanitizer.
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, bytes) != 0) throw std::bad_alloc();
  return p;
}

void system_free(void* p, size_t bytes) {
  if (kCacheEnabled && bytes >= kMapFrom) {
    munmap(p, bytes);
  } else {
    std::free(p);
  }
}

struct Cache {
  std::mutex mu;
  std::vector<void*> free_lists[kNumClasses];
  size_t cached_bytes = 0;

  ~Cache() { release_all(); }
  void release_all() {
    std::lock_guard<std::mutex> lock(mu);
    for (int i = 0; i < kNumClasses; ++i) {
      for (void* p : free_lists[i]) system_free(p, class_bytes(i));
      free_lists[i].clear();
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

// The calling thread's free lists and counters, or nullptr while its thread_local objects are being destroyed. Fetched
// once per allocation or free: each thread_local access checks that the object was made.
ThreadLocal* this_thread() { return t_state == 2 ? nullptr : &t_local; }

// Adds to a counter of the thread `local` (this_thread()), or to the ended sums when there is none.
void count(ThreadLocal* local, std::atomic<int64_t> Counters::*field, int64_t by) {
  if (local != nullptr) {
    bump(local->counters.*field, by);
  } else {
    (registry().ended.*field).fetch_add(by, std::memory_order_relaxed);
  }
}

// The thread's free list for blocks of size class `index`, or nullptr when they are not kept locally.
std::vector<void*>* local_list(ThreadLocal* local, int index) {
  if (!kCacheEnabled || local == nullptr) return nullptr;
  return index <= kLocalMaxBucket ? &local->free_lists[index] : nullptr;
}

// A block and its size (a power of two; under the sanitizer exactly the size asked for).
struct Block {
  void* p;
  size_t bytes;
};

Block allocate(ThreadLocal* thread, size_t nbytes) {
  count(thread, &Counters::requests, 1);
  if (!kCacheEnabled) {  // under the sanitizer: exactly the size asked for, every time from the system
    count(thread, &Counters::system, 1);
    return {system_alloc(nbytes), nbytes};
  }
  const SizeClass sc = size_class(nbytes);
  if (std::vector<void*>* local = local_list(thread, sc.index); local != nullptr && !local->empty()) {
    void* p = local->back();
    local->pop_back();
    return {p, sc.bytes};
  }
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    // A block of the request's class, else the smallest free one of the classes up to twice its size (kBorrow).
    for (int i = sc.index; i < kNumClasses && (i == sc.index || class_bytes(i) <= kBorrow * sc.bytes); ++i) {
      auto& list = c.free_lists[i];
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        c.cached_bytes -= class_bytes(i);
        return {p, class_bytes(i)};
      }
    }
  }
  count(thread, &Counters::system, 1);
  return {system_alloc(sc.bytes), sc.bytes};
}

// `bytes`: the block's size as allocate returned it (perhaps larger than its storage asked for).
void deallocate(ThreadLocal* thread, void* p, size_t bytes) {
  if (!kCacheEnabled) {
    system_free(p, bytes);
    return;
  }
  if (std::vector<void*>* local = local_list(thread, size_class(bytes).index);
      local != nullptr && local->size() < kLocalMaxBlocks) {
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
      c.free_lists[size_class(bytes).index].push_back(p);  // a block's size is its class's: this finds it
      c.cached_bytes += bytes;
      return;
    }
  }
  system_free(p, bytes);
}

}  // namespace

Storage::Storage(size_t nbytes) : nbytes_(nbytes) {
  ThreadLocal* thread = this_thread();
  if (kCacheEnabled && nbytes <= kInlineBytes) {  // the bytes live in this object (storage.h)
    count(thread, &Counters::requests, 1);
    data_ = inline_;
    block_bytes_ = 0;
  } else {
    const Block block = allocate(thread, nbytes);
    data_ = block.p;
    block_bytes_ = block.bytes;
  }
  count(thread, &Counters::live, 1);
  count(thread, &Counters::live_bytes, static_cast<int64_t>(nbytes));
}

Storage::~Storage() {
  ThreadLocal* thread = this_thread();
  if (data_ != inline_) deallocate(thread, data_, block_bytes_);
  count(thread, &Counters::live, -1);  // perhaps on another thread than the one that counted it in: the sums stay right
  count(thread, &Counters::live_bytes, -static_cast<int64_t>(nbytes_));
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
