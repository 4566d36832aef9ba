// Small objects: a per-thread recycling allocator for the little heap objects every op makes.
//
// One training step of a small model makes a few dozen heap objects besides the tensors' numbers: each tensor's
// Storage (with its shared_ptr count), each Variable's VariableImpl and each recorded op's Node. They live for one
// step and come back in the same sizes the next step. malloc and free were about an eighth of a context-network step
// (issue 14): glibc keeps only 7 freed blocks per size in its fast per-thread cache, and a step frees more than that.
//
// SmallObjectAllocator<T> is a standard allocator for std::allocate_shared: blocks up to kMaxSmallObject bytes are
// rounded up to a multiple of 64 and kept, when freed, in the freeing thread's list for their size (up to
// kMaxKeptPerSize each), to be handed out again without a lock or a call into malloc. Any thread may free a block
// another thread took: every block is a plain `operator new` block of its rounded size. Larger objects, and every
// object under AddressSanitizer (so that a use-after-free is still caught), go straight to operator new and delete.
//
//   auto storage = std::allocate_shared<Storage>(SmallObjectAllocator<Storage>(), nbytes);
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace glimpse {

inline constexpr size_t kMaxSmallObject = 1024;  // bytes; a VariableImpl is 584, the largest usual Node under 1024
inline constexpr size_t kMaxKeptPerSize = 256;   // freed blocks one thread keeps per size

// `bytes` of memory aligned for any standard type, and its return. `bytes` must be the same in both calls.
void* small_object_allocate(size_t bytes);
void small_object_deallocate(void* p, size_t bytes) noexcept;

// How many blocks the calling thread has taken from its own lists (a reuse) and from operator new so far: a training
// loop in its steady state reuses every block (tests/tensor/test_small_objects.cpp checks it).
struct SmallObjectStats {
  int64_t reused = 0;
  int64_t fresh = 0;
};
SmallObjectStats small_object_stats();

template <class T>
struct SmallObjectAllocator {
  using value_type = T;
  SmallObjectAllocator() = default;
  template <class U>
  SmallObjectAllocator(const SmallObjectAllocator<U>&) {}  // NOLINT(google-explicit-constructor): rebinding
  T* allocate(size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "SmallObjectAllocator: over-aligned type");
    return static_cast<T*>(small_object_allocate(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { small_object_deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const SmallObjectAllocator<U>&) const { return true; }  // any one frees what another took
};

}  // namespace glimpse
