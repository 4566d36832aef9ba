// The small-object allocator (tensor/small_objects.h): freed blocks come back for the next object of their size, on
// any thread. (tests/optim/test_training_step.cpp checks that a small model's step in its steady state takes all its
// objects from the lists.) Under AddressSanitizer recycling is off, so that a use-after-free stays visible.
#include <doctest/doctest.h>

#include <memory>
#include <thread>

#include "tensor/small_objects.h"

using namespace glimpse;

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycles = false;
#else
constexpr bool kRecycles = true;
#endif

struct Object {
  char bytes[200];
};
}  // namespace

TEST_SUITE("small_objects") {
  TEST_CASE("a freed block is handed out again for the next object of its size") {
    void* a = small_object_allocate(100);
    small_object_deallocate(a, 100);
    const SmallObjectStats before = small_object_stats();
    void* b = small_object_allocate(120);  // 100 and 120 bytes round to the same 128-byte size
    const SmallObjectStats after = small_object_stats();
    if (kRecycles) {
      CHECK(b == a);
      CHECK(after.reused == before.reused + 1);
      CHECK(after.fresh == before.fresh);
    } else {
      CHECK(after.reused == before.reused);
    }
    small_object_deallocate(b, 120);
  }

  TEST_CASE("a block of another size, or a large one, is not taken from that list") {
    void* a = small_object_allocate(100);
    small_object_deallocate(a, 100);
    const SmallObjectStats before = small_object_stats();
    void* big = small_object_allocate(kMaxSmallObject + 1);  // past the lists: operator new, not counted
    void* other = small_object_allocate(300);                // another size
    const SmallObjectStats after = small_object_stats();
    CHECK(other != a);
    CHECK(after.reused == before.reused);
    small_object_deallocate(big, kMaxSmallObject + 1);
    small_object_deallocate(other, 300);
  }

  TEST_CASE("a block taken on one thread and freed on another serves the freeing thread") {
    Object* p = SmallObjectAllocator<Object>().allocate(1);
    bool reused_there = false;
    std::thread([&] {
      SmallObjectAllocator<Object>().deallocate(p, 1);
      Object* q = SmallObjectAllocator<Object>().allocate(1);
      reused_there = q == p;
      SmallObjectAllocator<Object>().deallocate(q, 1);
    }).join();  // the thread's lists are returned to operator delete as it ends
    CHECK(reused_there == kRecycles);
  }

  TEST_CASE("allocate_shared with the allocator builds and destroys the object") {
    auto counted = std::make_shared<int>(0);
    {
      auto holder = std::allocate_shared<std::shared_ptr<int>>(SmallObjectAllocator<std::shared_ptr<int>>(), counted);
      CHECK(counted.use_count() == 2);
    }
    CHECK(counted.use_count() == 1);  // the destructor ran
  }
}
