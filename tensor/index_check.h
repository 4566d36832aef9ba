// The index checks shared by the gathering ops (indexing.cpp) and the embedding lookup (embedding.cpp): index
// tensors must be int64, and every index lies in its range before anything is written.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace glimpse::detail {

inline void check_int64_index(const Tensor& index, const char* op, const char* what = "index") {
  check_defined(index, op);
  check(index.dtype() == kInt64, "{}: {} must be int64, got {} (shape {}); convert with .to(kInt64)", op, what,
        dtype_name(index.dtype()), index.shape());
}

// Every one of `count` indices must lie in [0, n). `where()` says what is indexed, e.g. "dim 1 (size 5) of x [3, 5]";
// it is a callable so that the text is only formatted when an index is bad (an embedding lookup per training step
// must not pay for a string). One unsigned comparison catches both negative and too-large values.
template <class Where>
void check_range(const int64_t* idx, int64_t count, int64_t n, const char* op, const char* name, Where&& where) {
  for (int64_t i = 0; i < count; ++i) {
    if (static_cast<uint64_t>(idx[i]) >= static_cast<uint64_t>(n)) [[unlikely]] {
      if (n == 0) throw Error(fmt::format("{}: {} {} is out of range for {}; it is empty, so no {} is valid", op, name,
                                          idx[i], where(), name));
      throw Error(fmt::format("{}: {} {} is out of range for {}; valid: 0 to {} (negative values are not wrapped)", op,
                              name, idx[i], where(), n - 1));
    }
  }
}

}  // namespace glimpse::detail
