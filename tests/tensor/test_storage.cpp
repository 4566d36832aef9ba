// Tests for tensor/storage.h + storage.cpp: the caching allocator's block sizes, and the version counter that autograd
// uses to notice in-place changes (autograd/node.h).
#include <doctest/doctest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/matmul.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

using namespace glimpse;

namespace {
// This process's resident memory (VmRSS), in bytes.
int64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  REQUIRE(f != nullptr);
  char line[256];
  int64_t kb = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::atoll(line + 6);
  }
  std::fclose(f);
  return kb * 1024;
}
}  // namespace

TEST_SUITE("storage") {
  TEST_CASE("regression: under AddressSanitizer a storage is exactly the size asked for, so small overflows are seen") {
    // Blocks were rounded up to a power of two of at least 64 bytes even under ASan: writing element 3 of a [2]
    // float tensor landed in the slack and went unseen. malloc_usable_size is ASan's exact size under the sanitizer
    // and glibc's chunk size otherwise.
    Storage s(12);
#if defined(__SANITIZE_ADDRESS__)
    CHECK(malloc_usable_size(s.data()) == 12);  // its own block, not bytes inside the Storage object
    CHECK(reinterpret_cast<uintptr_t>(s.data()) % 64 == 0);
#else
    Storage big(Storage::kInlineBytes + 1);  // past the inline bytes: a block of the caching allocator
    CHECK(malloc_usable_size(big.data()) >= 128);  // the power of two that holds 65 bytes
    CHECK(reinterpret_cast<uintptr_t>(big.data()) % 64 == 0);
#endif
    Storage none(0);  // a zero-byte block is fine too
    CHECK(none.nbytes() == 0);
  }

  TEST_CASE("a storage of at most 64 bytes keeps them in the Storage object (not under ASan), and counts as usual") {
    const int64_t live = Storage::live_count(), bytes = Storage::live_bytes();
    const int64_t requests = allocator_stats().requests;
    [[maybe_unused]] const int64_t system = allocator_stats().system;
    {
      Storage s(Storage::kInlineBytes);
      const auto* object = reinterpret_cast<const unsigned char*>(&s);
      const auto* data = static_cast<const unsigned char*>(s.data());
#if defined(__SANITIZE_ADDRESS__)
      CHECK((data < object || data >= object + sizeof(Storage)));
#else
      CHECK((data >= object && data + Storage::kInlineBytes <= object + sizeof(Storage)));
#endif
      CHECK(reinterpret_cast<uintptr_t>(s.data()) % 16 == 0);
      std::memset(s.data(), 7, Storage::kInlineBytes);  // all of it is usable
      CHECK(Storage::live_count() == live + 1);
      CHECK(Storage::live_bytes() == bytes + static_cast<int64_t>(Storage::kInlineBytes));
      CHECK(allocator_stats().requests == requests + 1);
    }
    CHECK(Storage::live_count() == live);
    CHECK(Storage::live_bytes() == bytes);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(allocator_stats().system == system);  // no block was asked of the system
#endif
    // Tensors over inline storage behave as any: views share it, clones do not.
    Tensor t = arange(0.0, 6.0, 1.0, kFloat32).reshape({2, 3});
    Tensor v = t.t();
    v.fill_(2.0);
    CHECK(t.tolist() == std::vector<double>(6, 2.0));
    Tensor c = t.clone();
    CHECK_FALSE(c.shares_storage_with(t));
  }

  TEST_CASE("every in-place op bumps the version, shared by views, and out-of-place ops do not") {
    Tensor x = zeros({2, 3});
    Tensor view = x.t();
    const uint64_t v0 = x.version();
    Tensor y = x + 1.0;
    CHECK(x.version() == v0);
    x.fill_(1);
    CHECK(view.version() == v0 + 1);
    view.copy_(ones({3, 2}));
    CHECK(x.version() == v0 + 2);
    add_(x, ones({2, 3}));
    mul_(view, 2.0);
    uniform_(x, 0.0, 1.0);
    normal_(view, 0.0, 1.0);
    CHECK(x.version() == v0 + 6);
    Tensor out = zeros({2, 2});
    const uint64_t o0 = out.version();
    matmul_into(out, x, view);
    CHECK(out.version() == o0 + 1);
    CHECK(y.version() != x.version());  // its own storage
  }

#if !defined(__SANITIZE_ADDRESS__)  // the cache is off under the sanitizer
  TEST_CASE("empty_cache unmaps the large blocks the allocator mapped itself") {
    empty_cache();
    const int64_t before = resident_bytes();
    {
      std::vector<std::unique_ptr<Storage>> storages;
      for (int i = 0; i < 16; ++i) {
        storages.push_back(std::make_unique<Storage>(size_t{1} << 20));
        std::memset(storages.back()->data(), 1, size_t{1} << 20);
      }
    }  // 16 MiB resident in the cache
    const int64_t cached = resident_bytes();
    empty_cache();
    const int64_t after = resident_bytes();
    MESSAGE("resident ", before >> 20, " -> ", cached >> 20, " -> ", after >> 20, " MiB");
    CHECK(cached - before >= 14 << 20);
    CHECK(cached - after >= 14 << 20);
  }

  TEST_CASE("a block above 64 KiB is at most a quarter larger than asked for (four size classes per power of two)") {
    empty_cache();
    for (size_t n : {size_t{65537}, size_t{81920}, size_t{81921}, size_t{393216}, size_t{399360}, size_t{1179648},
                     size_t{1572864}, size_t{(8 << 20) + 1}, size_t{(48 << 20) - 7}}) {
      { Storage s(n); }
      const int64_t block = allocator_stats().cached_bytes;  // the freed block, as the cache holds it
      CHECK(block >= static_cast<int64_t>(n));
      CHECK(static_cast<double>(block) <= 1.25 * static_cast<double>(n));
      empty_cache();
    }
    { Storage s(64 << 10); }  // up to 64 KiB a power of two; such blocks stay with their thread (not counted)
    CHECK(allocator_stats().cached_bytes == 0);
  }

  TEST_CASE("an empty size class borrows a free block up to twice its size, which goes back to its own class") {
    empty_cache();
    const size_t mib = size_t{1} << 20;  // blocks far above a thread's own small-block lists: the shared cache's
    void* block = nullptr;
    { Storage s(3 * mib); block = s.data(); }  // the 3 MiB class
    CHECK(allocator_stats().cached_bytes == static_cast<int64_t>(3 * mib));
    const int64_t system = allocator_stats().system;
    {
      Storage half(3 * mib / 2);  // the 1.5 MiB class is empty: it takes the 3 MiB block instead of a new one
      CHECK(half.data() == block);
      CHECK(allocator_stats().system == system);
      CHECK(allocator_stats().cached_bytes == 0);
    }
    CHECK(allocator_stats().cached_bytes == static_cast<int64_t>(3 * mib));  // back in the 3 MiB class
    {
      Storage small(mib);  // the 1 MiB class: a 3 MiB block is more than twice that, so a new block
      CHECK(small.data() != block);
      CHECK(allocator_stats().system == system + 1);
      Storage again(3 * mib);
      CHECK(again.data() == block);
      CHECK(allocator_stats().system == system + 1);
    }
    empty_cache();
    CHECK(allocator_stats().cached_bytes == 0);
  }

  TEST_CASE("regression: empty_cache returns the freed blocks to the system even from the middle of the C heap") {
    // glibc raises its mmap threshold to the largest block freed so far, so after a 16 MiB buffer comes and goes the
    // blocks below come from its heap; free() gives heap memory back from the top only, and a small allocation after
    // each block pins them all. The GPT example kept 36 MB resident after empty_cache() until it also trimmed.
    std::free(std::memset(std::malloc(16 << 20), 1, 16 << 20));
    empty_cache();
    const size_t block = 128 << 10;  // below the blocks the allocator maps itself (256 KiB): the C heap's
    std::vector<void*> pins;
    {
      std::vector<std::unique_ptr<Storage>> storages;
      for (int i = 0; i < 128; ++i) {
        storages.push_back(std::make_unique<Storage>(block));
        std::memset(storages.back()->data(), 1, block);  // resident
        pins.push_back(std::malloc(64));
      }
    }  // 16 MiB in the cache
    const int64_t cached = resident_bytes();
    empty_cache();
    const int64_t trimmed = resident_bytes();
    MESSAGE("resident ", cached >> 20, " MiB with the blocks cached, ", trimmed >> 20, " MiB after empty_cache");
    CHECK(cached - trimmed >= 12 << 20);
    for (void* p : pins) std::free(p);
  }
#endif
}
