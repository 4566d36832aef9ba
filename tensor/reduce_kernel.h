// The reduction machinery shared by reduce.cpp (sums, means, norms), reduce_extremes.cpp (max/min and their
// positions) and softmax.cpp: the [outer, n, inner] grid every reduction runs on and the loops that fold it. Internal:
// for the ops themselves include tensor/reduce.h.
//
// Every reduction runs on the same picture of its input: a contiguous block of numbers read as [outer, n, inner],
// where output element (o, j) folds the n numbers x[o, 0..n, j]. Getting there costs nothing in the common cases:
//   - reducing the last dims of a contiguous tensor is inner = 1: each output folds one contiguous row, in a tight
//     loop with several independent partial results so the compiler can vectorise it;
//   - reducing the leading dims ([B, C] -> [C], what bias gradients do) is outer = 1: the n rows of length inner are
//     added element-wise into an accumulator row, again a vectorised loop, and nothing is transposed;
//   - a view whose dims can be reordered into one of these shapes without copying (a transpose) is reordered;
//   - anything else is permuted so the reduced dims come last and copied once with contiguous().
// Sums of float32 accumulate in float64, in blocks that are then added together, so long sums keep their precision.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/parallel.h"
#include "tensor/tensor.h"

namespace glimpse::detail {


// The type sums are accumulated in: float32 sums accumulate in float64 (a float32 running total stops growing once
// it is 2^24 times larger than what is added), float64 and int64 in themselves.
template <class T>
using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;

// NaN-propagating max/min: b replaces a when it is larger or NaN, and nothing replaces a NaN, so once a NaN is seen
// it stays (a plain `a > b ? a : b` would silently drop it). This is what PyTorch does. The bitwise `|` (no short
// circuit) keeps the expression branch-free, so loops using it vectorise.
template <class T>
T max_nan(T a, T b) {
  return ((a < b) | (b != b)) ? b : a;
}
template <class T>
T min_nan(T a, T b) {
  return ((b < a) | (b != b)) ? b : a;
}

// exp for float32 written so that the compiler can vectorise a loop calling it (std::exp is an opaque library call,
// ~7x slower here). exp(x) = 2^k * exp(r) with k = round(x / ln 2) and |r| <= ln(2) / 2; exp(r) comes from Cephes'
// degree-7 polynomial, within 1.5 ulp of the true value. 2^k is built from its exponent bits in two halves so that
// results that are denormal or overflow to inf come out right. float64 keeps std::exp (it serves exactness).
inline float exp_f32(float x) {
  // Beyond [-104, 89] exp is 0 or inf in float32. The argument order sends a NaN to -104 (std::max(a, b) returns a
  // unless a < b), so the integer conversion below never sees a NaN; the NaN is put back at the end.
  const float xc = std::min(89.0f, std::max(-104.0f, x));
  const float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln 2): 1.5 * 2^23 trick
  const float r = (xc - k * 0.693359375f) + k * 2.12194440e-4f;             // x - k ln 2, ln 2 split in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t ki = static_cast<int32_t>(k);
  const int32_t k1 = ki >> 1, k2 = ki - k1;
  const float e = y * std::bit_cast<float>((k1 + 127) << 23) * std::bit_cast<float>((k2 + 127) << 23);
  return x != x ? x : e;  // NaN in, NaN out
}
template <class T>
T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_f32(x);
  } else {
    return std::exp(x);
  }
}

template <class T>
constexpr T lowest() {
  return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
}
template <class T>
constexpr T highest() {
  return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
}

// ---------------------------------------------------------------------------------------------------------------
// Planning: which dims are reduced, the output shape, and the [outer, n, inner] grid.

// A contiguous tensor read as [outer, n, inner]; output element o * inner + j folds data[o, 0..n, j].
struct Grid {
  Tensor data;
  int64_t outer = 1, n = 1, inner = 1;
};

struct Plan {
  Grid grid;
  Shape out_shape;
};

// Validates `dims` (empty = all) and plans the reduction: the output shape, and x laid out as a grid whose middle dim
// holds the reduced dims (copied only when no reordering of x's dims is contiguous). Duplicate dims are an Error, as
// in PyTorch. `op` names the caller in errors. (reduce.cpp)
Plan plan_reduction(const Tensor& x, const Shape& dims, bool keepdim, const char* op);

// The error for ops that have no value on an empty reduction (the max of nothing).
void check_nonempty(const Plan& p, const Tensor& x, const char* op);

// ---------------------------------------------------------------------------------------------------------------
// The two folding loops.

// Independent partial results per row: a single running total is a chain of dependent additions, which the compiler
// may not reorder (that would change the rounding), so it could not use vector registers. With kLanes separate
// partials written out explicitly it can (16 floats fill one AVX-512 register). Blocks of kBlock elements are folded
// separately and then combined (a two-level cascade), which keeps the rounding error of long float64 sums small too.
constexpr int kLanes = 16;
constexpr int64_t kBlock = 4096;

// Folds one block of at most kBlock elements on kLanes lanes and joins the lanes.
template <class A, class T, class Step, class Merge>
A fold_block(const T* q, int64_t len, A init, Step step, Merge merge) {
  A lane[kLanes];
  for (int k = 0; k < kLanes; ++k) lane[k] = init;
  int64_t i = 0;
  for (; i + kLanes <= len; i += kLanes) {
    // Keeps GCC from unrolling this loop into kLanes scalar statements before its loop vectoriser sees it (only
    // the loop vectoriser turns a ?: such as max_nan into vector blends).
#pragma GCC unroll 1
    for (int k = 0; k < kLanes; ++k) lane[k] = step(lane[k], q[i + k]);
  }
  for (; i < len; ++i) lane[0] = step(lane[0], q[i]);
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int k = 0; k < w; ++k) lane[k] = merge(lane[k], lane[k + w]);
  }
  return lane[0];
}

// Folds the contiguous row p[0..n) into one accumulator: step(acc, value) adds a value, merge(a, b) joins partials.
// The row is folded in blocks of kBlock, joined in order. A row long enough to split folds its blocks on several
// threads first, then joins them in the same order here: the same operations in the same order as on one thread, so
// the result does not depend on the thread count.
template <class A, class T, class Step, class Merge>
A fold_row(const T* p, int64_t n, A init, Step step, Merge merge) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  auto block = [&](int64_t b) {
    return fold_block(p + b * kBlock, std::min(kBlock, n - b * kBlock), init, step, merge);
  };
  A total = init;
  if (n < 2 * kParallelGrain) {  // too short to be worth a thread: no scratch, no parallel_for
    for (int64_t b = 0; b < blocks; ++b) total = merge(total, block(b));
    return total;
  }
  std::vector<A> partial(static_cast<size_t>(blocks));
  parallel_for(blocks, std::max<int64_t>(1, kParallelGrain / kBlock), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) partial[b] = block(b);
  });
  for (const A& a : partial) total = merge(total, a);
  return total;
}

// The sum of term(v) over the packed row p[0..n), in Acc<T>: folded as sum_grid folds a grid of one row (the same order,
// the same bits), each term rounded to T first, as a tensor of the terms would hold it. For a whole tensor's sum it
// needs no grid, no plan and no vector of accumulators.
template <class T, class Term>
Acc<T> sum_row(const T* p, int64_t n, Term term) {
  using A = Acc<T>;
  return fold_row(
      p, n, A(0), [term](A a, T v) { return a + static_cast<A>(static_cast<T>(term(v))); },
      [](A a, A b) { return a + b; });
}

// out[o * inner + j] = the fold of g[o, 0..n, j]. step(acc, value, k) adds a value to the accumulator of output k
// (so a second pass can look up a per-output shift such as the mean); merge(a, b) joins two partial accumulators.
// Big grids split their outputs across threads (each output is folded whole, by one thread, in the usual order).
template <class A, class T, class Step, class Merge>
std::vector<A> fold_grid(const Grid& g, A init, Step step, Merge merge) {
  std::vector<A> out(static_cast<size_t>(g.outer * g.inner), init);
  // No output (a kept dim of size 0): nothing to fold. The column split below would otherwise take outer = 0 for one
  // output row and write into the empty vector (found by tests/autograd/test_random_inputs.cpp).
  if (out.empty()) return out;
  const T* x = g.data.data<T>();
  const int64_t n = g.n, inner = g.inner;
  if (inner == 1) {
    parallel_for(g.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        out[o] = fold_row(x + o * n, n, init, [&](A a, T v) { return step(a, v, o); }, merge);
      }
    });
    return out;
  }
  // inner > 1: add whole rows into a row of accumulators, for the output row o, columns [j0, j1). Long reductions
  // fill a block row (`scratch`, one per thread: inner accumulators, or none when n <= kBlock) and merge it in.
  auto fold_columns = [&](int64_t o, int64_t j0, int64_t j1, std::vector<A>& scratch) {
    A* acc = out.data() + o * inner;
    const T* base = x + o * n * inner;
    const int64_t k0 = o * inner;
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
      A* part = scratch.empty() ? acc : scratch.data();
      if (part != acc) std::fill(scratch.begin() + j0, scratch.begin() + j1, init);
      const int64_t end = std::min(n, b0 + kBlock);
      for (int64_t i = b0; i < end; ++i) {
        const T* row = base + i * inner;
        for (int64_t j = j0; j < j1; ++j) part[j] = step(part[j], row[j], k0 + j);
      }
      if (part != acc) {
        for (int64_t j = j0; j < j1; ++j) acc[j] = merge(acc[j], part[j]);
      }
    }
  };
  const int64_t per_output = std::max<int64_t>(n, 1);
  const size_t scratch_size = n > kBlock ? static_cast<size_t>(inner) : 0;
  if (g.outer > 1) {
    parallel_for(g.outer, std::max<int64_t>(1, kParallelGrain / (per_output * inner)), [&](int64_t b, int64_t e) {
      std::vector<A> scratch(scratch_size);
      for (int64_t o = b; o < e; ++o) fold_columns(o, 0, inner, scratch);
    });
  } else {
    // One output row (e.g. a bias gradient: [tokens, features] summed over tokens): split its columns instead.
    parallel_for(inner, std::max<int64_t>(1, kParallelGrain / per_output), [&](int64_t b, int64_t e) {
      std::vector<A> scratch(scratch_size);
      fold_columns(0, b, e, scratch);
    });
  }
  return out;
}

// A new tensor of the plan's output shape with element k = finish(acc[k], k).
template <class TOut, class A, class Finish>
Tensor make_output(const Plan& p, DType dtype, const std::vector<A>& acc, Finish finish) {
  Tensor out = empty(p.out_shape, dtype);
  TOut* o = out.data<TOut>();
  const int64_t n = static_cast<int64_t>(acc.size());
  for (int64_t k = 0; k < n; ++k) o[k] = static_cast<TOut>(finish(acc[k], k));
  return out;
}

template <class T>
std::vector<Acc<T>> sum_grid(const Grid& g) {
  using A = Acc<T>;
  return fold_grid<A, T>(
      g, A(0), [](A a, T v, int64_t) { return a + static_cast<A>(v); }, [](A a, A b) { return a + b; });
}

template <class T>
std::vector<T> max_grid(const Grid& g) {
  return fold_grid<T, T>(
      g, lowest<T>(), [](T a, T v, int64_t) { return max_nan(a, v); }, [](T a, T b) { return max_nan(a, b); });
}

template <class T>
std::vector<T> min_grid(const Grid& g) {
  return fold_grid<T, T>(
      g, highest<T>(), [](T a, T v, int64_t) { return min_nan(a, v); }, [](T a, T b) { return min_nan(a, b); });
}

}  // namespace glimpse::detail
