// Walking the elements of strided tensors: the one loop every elementwise kernel is built on.
//
// `for_each_block<N>(shape, {&strides0, &strides1, ...}, fn)` visits all elements of `shape` for N operands at once
// (the strides are passed by pointer, one Strides per operand, in elements). It first merges dims that are laid out
// back to back in every operand (a contiguous tensor becomes one long dim), then calls `fn(block)` once per innermost
// row with a `Block<N>`: block.offset[k] is operand k's element offset of the row's first element, block.n the row's
// length, block.stride[k] the step between operand k's elements along the row. So element i of the row is
// `data_k[block.offset[k] + i * block.stride[k]]`. Kernels check for strides of 1 (and 0, a broadcast scalar) and run
// a plain loop the compiler vectorises; anything else takes the strided loop. parallel_for_each_block below does the
// same walk split across threads.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "tensor/parallel.h"
#include "tensor/shape.h"

namespace glimpse {

// One innermost row of N operands, as for_each_block hands it to its callback (see the top of this file).
template <size_t N>
struct Block {
  std::array<int64_t, N> offset;
  int64_t n;
  std::array<int64_t, N> stride;
};

template <size_t N, class Fn>
void for_each_block(const Shape& shape, const std::array<const Strides*, N>& strides, Fn&& fn) {
  // Collect the non-trivial dims, innermost first, merging a dim into the one inside it when every operand allows.
  int64_t size[kMaxDims];
  int64_t st[N][kMaxDims];
  int nd = 0;
  for (int d = shape.size() - 1; d >= 0; --d) {
    if (shape[d] == 0) return;  // nothing to visit
    if (shape[d] == 1) continue;
    bool merge = nd > 0;
    for (size_t k = 0; k < N && merge; ++k) merge = (*strides[k])[d] == st[k][nd - 1] * size[nd - 1];
    if (merge) {
      size[nd - 1] *= shape[d];
    } else {
      size[nd] = shape[d];
      for (size_t k = 0; k < N; ++k) st[k][nd] = (*strides[k])[d];
      ++nd;
    }
  }
  Block<N> b{};
  if (nd == 0) {  // a single element
    b.n = 1;
    fn(b);
    return;
  }
  b.n = size[0];
  for (size_t k = 0; k < N; ++k) b.stride[k] = st[k][0];
  // Odometer over the outer dims 1..nd-1.
  int64_t counter[kMaxDims] = {0};
  while (true) {
    fn(b);
    int d = 1;
    for (; d < nd; ++d) {
      for (size_t k = 0; k < N; ++k) b.offset[k] += st[k][d];
      if (++counter[d] < size[d]) break;
      for (size_t k = 0; k < N; ++k) b.offset[k] -= st[k][d] * size[d];
      counter[d] = 0;
    }
    if (d == nd) return;
  }
}

// for_each_block, split across threads for big tensors (parallel.h): the outermost dim of size > 1 is cut into one
// part per thread, and each thread walks its part with for_each_block. `fn` sees the same Blocks as with
// for_each_block (offsets are from the start of the whole tensor), so it must only write the elements of its own
// Block, which every elementwise kernel does.
template <size_t N, class Fn>
void parallel_for_each_block(const Shape& shape, const std::array<const Strides*, N>& strides, Fn&& fn) {
  int d = 0;
  while (d < shape.size() && shape[d] == 1) ++d;
  const int64_t numel = shape.numel();
  if (d == shape.size() || numel < 2 * kParallelGrain) {
    for_each_block<N>(shape, strides, fn);
    return;
  }
  const int64_t inner = numel / shape[d];  // elements per index of dim d
  parallel_for(shape[d], std::max<int64_t>(1, kParallelGrain / inner), [&](int64_t begin, int64_t end) {
    Shape part = shape;
    part[d] = end - begin;
    for_each_block<N>(part, strides, [&](Block<N> b) {
      for (size_t k = 0; k < N; ++k) b.offset[k] += begin * (*strides[k])[d];
      fn(b);
    });
  });
}

// The strides that make `strides` (of a tensor with shape `from`) read as if it had the broadcast shape `to`:
// missing leading dims and size-1 dims get stride 0.
inline Strides broadcast_strides(const Shape& from, const Strides& strides, const Shape& to) {
  Strides out = Shape::filled(to.size(), 0);
  int lead = to.size() - from.size();
  for (int i = 0; i < from.size(); ++i) out[lead + i] = from[i] == 1 ? 0 : strides[i];
  return out;
}

}  // namespace glimpse
