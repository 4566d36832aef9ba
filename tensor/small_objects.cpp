// The per-thread recycling allocator of small_objects.h.
//
// Each thread keeps, per size (multiples of 64 bytes up to kMaxSmallObject), a singly linked list of the blocks it
// freed, threaded through the blocks themselves: taking or returning one is two pointer moves, with no lock. A block
// is always allocated at its rounded size, so any list may hold any block of its size, whichever thread took it. When
// a thread ends its lists go back to operator delete; a block freed after that (while the thread's thread_local
// objects are being destroyed) goes to operator delete directly.
#include "tensor/small_objects.h"

namespace glimpse {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycle = false;  // every block from operator new at its exact size, so the sanitizer sees each one
#else
constexpr bool kRecycle = true;
#endif

constexpr size_t kGrain = 64;
constexpr size_t kNumSizes = kMaxSmallObject / kGrain;

struct FreeBlock {
  FreeBlock* next;
};

struct ThreadLists {
  FreeBlock* head[kNumSizes] = {};
  size_t kept[kNumSizes] = {};
  SmallObjectStats stats;
  ~ThreadLists();
};

thread_local bool t_ended = false;  // set when this thread's lists were destroyed
thread_local ThreadLists t_lists;

ThreadLists::~ThreadLists() {
  t_ended = true;
  for (FreeBlock* block : head) {
    while (block != nullptr) {
      FreeBlock* next = block->next;
      ::operator delete(block);
      block = next;
    }
  }
}

size_t size_index(size_t bytes) { return (bytes + kGrain - 1) / kGrain - 1; }  // 1..64 -> 0, 65..128 -> 1, ...

}  // namespace

void* small_object_allocate(size_t bytes) {
  if (!kRecycle || bytes == 0 || bytes > kMaxSmallObject) return ::operator new(bytes);
  const size_t i = size_index(bytes);
  if (!t_ended) {
    ThreadLists& lists = t_lists;
    if (FreeBlock* block = lists.head[i]; block != nullptr) {
      lists.head[i] = block->next;
      --lists.kept[i];
      ++lists.stats.reused;
      return block;
    }
    ++lists.stats.fresh;
  }
  return ::operator new((i + 1) * kGrain);  // the rounded size: the block may later serve any object of its size
}

void small_object_deallocate(void* p, size_t bytes) noexcept {
  if (!kRecycle || bytes == 0 || bytes > kMaxSmallObject || t_ended) {
    ::operator delete(p);
    return;
  }
  const size_t i = size_index(bytes);
  ThreadLists& lists = t_lists;
  if (lists.kept[i] >= kMaxKeptPerSize) {
    ::operator delete(p);
    return;
  }
  lists.head[i] = new (p) FreeBlock{lists.head[i]};
  ++lists.kept[i];
}

SmallObjectStats small_object_stats() { return t_ended ? SmallObjectStats{} : t_lists.stats; }

}  // namespace glimpse
