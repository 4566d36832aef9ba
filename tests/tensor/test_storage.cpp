// Tests for tensor/storage.h + storage.cpp: the caching allocator's block sizes, and the version counter that autograd
// uses to notice in-place changes (autograd/node.h).
#include <doctest/doctest.h>
#include <malloc.h>

#include "tensor/elementwise.h"
#include "tensor/matmul.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

using namespace glimpse;

TEST_SUITE("storage") {
  TEST_CASE("regression: under AddressSanitizer a storage is exactly the size asked for, so small overflows are seen") {
    // Blocks were rounded up to a power of two of at least 64 bytes even under ASan: writing element 3 of a [2]
    // float tensor landed in the slack and went unseen. malloc_usable_size is ASan's exact size under the sanitizer
    // and glibc's chunk size otherwise.
    Storage s(12);
#if defined(__SANITIZE_ADDRESS__)
    CHECK(malloc_usable_size(s.data()) == 12);
#else
    CHECK(malloc_usable_size(s.data()) >= 64);  // the caching allocator's smallest bucket
#endif
    CHECK(reinterpret_cast<uintptr_t>(s.data()) % 64 == 0);
    Storage none(0);  // a zero-byte block is fine too
    CHECK(none.nbytes() == 0);
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
}
