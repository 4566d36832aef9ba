// Reductions (sum, mean, max, var, norm, ...), max/argmax with positions, sum_to_size, softmax and log_softmax.
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
#include "tensor/reduce.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/parallel.h"

namespace glimpse {
namespace {

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

// Lays x out as a grid whose middle dim holds the dims marked in `reduced`, copying only when no reordering of the
// dims (keeping the kept dims in order, so the output stays row-major) is already contiguous.
Grid make_grid(const Tensor& x, const bool* reduced) {
  const int nd = x.dim();
  // Case 1: x is contiguous and its reduced dims are one run (size-1 dims can sit anywhere: they occupy no memory).
  if (x.is_contiguous()) {
    Grid g{x};
    int phase = 0;  // 0: before the reduced run, 1: inside it, 2: after it
    bool one_run = true;
    for (int d = 0; d < nd && one_run; ++d) {
      const int64_t size = x.size(d);
      if (size == 1) continue;
      if (reduced[d]) {
        one_run = phase < 2;
        phase = 1;
        g.n *= size;
      } else if (phase == 0) {
        g.outer *= size;
      } else {
        phase = 2;
        g.inner *= size;
      }
    }
    if (one_run) return g;
  }
  // Case 2: a permutation of the dims is contiguous. Only the order of the kept dims matters for the output, so the
  // reduced dims are sorted by decreasing stride, which makes e.g. a transposed matrix contiguous again.
  Shape kept, red;
  int64_t kept_numel = 1, red_numel = 1;
  for (int d = 0; d < nd; ++d) {
    if (reduced[d]) {
      red.push_back(d);
      red_numel *= x.size(d);
    } else {
      kept.push_back(d);
      kept_numel *= x.size(d);
    }
  }
  std::stable_sort(red.begin(), red.end(), [&](int64_t a, int64_t b) { return x.stride(a) > x.stride(b); });
  Shape kept_then_red = kept, red_then_kept = red;
  for (int64_t d : red) kept_then_red.push_back(d);
  for (int64_t d : kept) red_then_kept.push_back(d);
  Tensor a = x.permute(kept_then_red);
  if (a.is_contiguous()) return {a, kept_numel, red_numel, 1};
  Tensor b = x.permute(red_then_kept);
  if (b.is_contiguous()) return {b, 1, red_numel, kept_numel};
  // Case 3: copy once, with the reduced dims last.
  return {a.contiguous(), kept_numel, red_numel, 1};
}

// Validates `dims` (empty = all) and plans the reduction. Duplicate dims are an Error, as in PyTorch.
Plan plan_reduction(const Tensor& x, const Shape& dims, bool keepdim, const char* op) {
  check_defined(x, op);
  const int nd = x.dim();
  bool reduced[kMaxDims] = {false};
  bool seen[kMaxDims] = {false};
  if (dims.empty()) {
    std::fill(reduced, reduced + nd, true);
  } else {
    for (int64_t d : dims) {
      const int w = wrap_dim(d, nd, op);
      check(!seen[w], "{}: dim {} appears more than once in dims {}; list each dim once", op, w, dims);
      seen[w] = true;
      if (nd > 0) reduced[w] = true;  // a 0-d tensor accepts dim 0 / -1 and has nothing to reduce
    }
  }
  Plan p;
  for (int d = 0; d < nd; ++d) {
    if (!reduced[d]) {
      p.out_shape.push_back(x.size(d));
    } else if (keepdim) {
      p.out_shape.push_back(1);
    }
  }
  p.grid = make_grid(x, reduced);
  return p;
}

// The error for ops that have no value on an empty reduction (the max of nothing).
void check_nonempty(const Plan& p, const Tensor& x, const char* op) {
  check(p.grid.n > 0 || p.grid.outer * p.grid.inner == 0,
        "{}: cannot reduce over zero elements (input shape {}); the reduced dims must have non-zero size", op,
        x.shape());
}

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

// var and std share this: two passes (mean first, then squared deviations from it), which is far more accurate
// than sum(x^2) - sum(x)^2 / n when the mean is large compared with the spread.
Tensor var_impl(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim, bool take_sqrt, const char* op) {
  Plan p = plan_reduction(x, dims, keepdim, op);
  return dispatch_float(x.dtype(), op, [&]<class T>() {
    using A = Acc<T>;
    const A n = static_cast<A>(p.grid.n);
    std::vector<A> mean = sum_grid<T>(p.grid);
    for (A& m : mean) m /= n;  // n = 0 gives NaN, and so does the variance, as in PyTorch
    std::vector<A> ss = fold_grid<A, T>(
        p.grid, A(0),
        [&](A a, T v, int64_t k) {
          const A d = static_cast<A>(v) - mean[k];
          return a + d * d;
        },
        [](A a, A b) { return a + b; });
    // Divide by n - correction, never by a negative number (PyTorch's max(0, n - correction)). In double: with any
    // int64 correction the difference could overflow int64.
    const A denom = static_cast<A>(std::max(0.0, static_cast<double>(p.grid.n) - static_cast<double>(correction)));
    return make_output<T>(p, x.dtype(), ss, [&](A s, int64_t) { return take_sqrt ? std::sqrt(s / denom) : s / denom; });
  });
}

// max/min along one dim with positions. `better(v, best)`: does v replace the best so far? It is strict, so the first
// of equal values wins, and a NaN replaces any non-NaN, so NaN propagates with its first position (as in PyTorch).
template <class T, class Better>
void arg_reduce(const Grid& g, T* values, int64_t* indices, Better better) {
  const T* x = g.data.data<T>();
  const int64_t n = g.n, inner = g.inner;
  if (inner == 1) {
    for (int64_t o = 0; o < g.outer; ++o) {
      const T* row = x + o * n;
      T best = row[0];
      int64_t at = 0;
      for (int64_t i = 1; i < n && best == best; ++i) {  // nothing replaces a NaN: stop at the first
        if (better(row[i], best)) {
          best = row[i];
          at = i;
        }
      }
      values[o] = best;
      indices[o] = at;
    }
    return;
  }
  for (int64_t o = 0; o < g.outer; ++o) {
    T* best = values + o * inner;
    int64_t* at = indices + o * inner;
    const T* base = x + o * n * inner;
    std::copy(base, base + inner, best);
    std::fill(at, at + inner, int64_t{0});
    for (int64_t i = 1; i < n; ++i) {
      const T* row = base + i * inner;
      for (int64_t j = 0; j < inner; ++j) {
        const bool take = better(row[j], best[j]);
        best[j] = take ? row[j] : best[j];
        at[j] = take ? i : at[j];
      }
    }
  }
}

ValuesIndices max_min_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max, const char* op) {
  check_defined(x, op);
  Plan p = plan_reduction(x, Shape{dim}, keepdim, op);
  check(p.grid.n > 0 || p.grid.outer * p.grid.inner == 0,
        "{}: dim {} of shape {} has size 0; there is no {} of zero elements", op, dim, x.shape(),
        is_max ? "max" : "min");
  ValuesIndices r{empty(p.out_shape, x.dtype()), empty(p.out_shape, kInt64)};
  dispatch(x.dtype(), [&]<class T>() {
    T* v = r.values.data<T>();
    int64_t* i = r.indices.data<int64_t>();
    if (is_max) {
      arg_reduce<T>(p.grid, v, i, [](T a, T best) { return a > best || (a != a && best == best); });
    } else {
      arg_reduce<T>(p.grid, v, i, [](T a, T best) { return a < best || (a != a && best == best); });
    }
  });
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// softmax / log_softmax on a contiguous [outer, n, inner] tensor, normalising along n.

template <class T, bool kLog>
void softmax_rows(const T* x, T* y, int64_t outer, int64_t n) {
  using A = Acc<T>;
  const auto max2 = [](T a, T b) { return max_nan(a, b); };
  const auto add = [](A a, A b) { return a + b; };
  // Rows are independent: big inputs (attention scores [B, heads, T, T]) split their rows across threads.
  parallel_for(outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const T* p = x + o * n;
      T* q = y + o * n;
      // Subtracting the row max makes every exponent <= 0, so exp never overflows: softmax([1000, 1001]) is fine.
      const T m = fold_row(p, n, lowest<T>(), max2, max2);
      // Three simple loops rather than one: each vectorises (the sum runs on lanes, see fold_row). For log_softmax the
      // output row is scratch space for the exponentials until the last loop overwrites it.
      for (int64_t i = 0; i < n; ++i) q[i] = exp_of<T>(p[i] - m);
      const A s = fold_row(q, n, A(0), [](A a, T v) { return a + static_cast<A>(v); }, add);
      if constexpr (kLog) {
        const T log_s = static_cast<T>(std::log(s));
        for (int64_t i = 0; i < n; ++i) q[i] = (p[i] - m) - log_s;
      } else {
        const T inv = static_cast<T>(A(1) / s);
        for (int64_t i = 0; i < n; ++i) q[i] *= inv;
      }
    }
  });
}

// inner > 1: the same steps, each over whole rows of length inner (vectorised, no transpose).
template <class T, bool kLog>
void softmax_columns(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using A = Acc<T>;
  std::vector<T> m(inner), scale(inner);
  std::vector<A> s(inner);
  for (int64_t o = 0; o < outer; ++o) {
    const T* in = x + o * n * inner;
    T* out = y + o * n * inner;
    std::fill(m.begin(), m.end(), lowest<T>());
    std::fill(s.begin(), s.end(), A(0));
    for (int64_t i = 0; i < n; ++i) {
      const T* row = in + i * inner;
      for (int64_t j = 0; j < inner; ++j) m[j] = max_nan(m[j], row[j]);
    }
    for (int64_t i = 0; i < n; ++i) {
      const T* row = in + i * inner;
      T* dst = out + i * inner;
      for (int64_t j = 0; j < inner; ++j) {
        dst[j] = exp_of<T>(row[j] - m[j]);
        s[j] += static_cast<A>(dst[j]);
      }
    }
    // log_softmax subtracts m + log(s); softmax multiplies by 1 / s.
    for (int64_t j = 0; j < inner; ++j) {
      scale[j] = kLog ? m[j] + static_cast<T>(std::log(s[j])) : static_cast<T>(A(1) / s[j]);
    }
    for (int64_t i = 0; i < n; ++i) {
      const T* row = in + i * inner;
      T* dst = out + i * inner;
      for (int64_t j = 0; j < inner; ++j) {
        if constexpr (kLog) {
          dst[j] = row[j] - scale[j];
        } else {
          dst[j] *= scale[j];
        }
      }
    }
  }
}

template <bool kLog>
Tensor softmax_impl(const Tensor& x, int64_t dim, const char* op) {
  check_defined(x, op);
  const int d = wrap_dim(dim, x.dim(), op);
  return dispatch_float(x.dtype(), op, [&]<class T>() {
    Tensor c = x.contiguous();
    Tensor y = empty(x.shape(), x.dtype());
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < x.dim(); ++i) {
      if (i < d) {
        outer *= x.size(i);
      } else if (i == d) {
        n = x.size(i);
      } else {
        inner *= x.size(i);
      }
    }
    if (inner == 1) {
      softmax_rows<T, kLog>(c.data<T>(), y.data<T>(), outer, n);
    } else {
      softmax_columns<T, kLog>(c.data<T>(), y.data<T>(), outer, n, inner);
    }
    return y;
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Public ops.

// x: [*] -> [*] with dims removed; int64 stays int64, an empty sum is 0.
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  Plan p = plan_reduction(x, dims, keepdim, "sum");
  return dispatch(x.dtype(), [&]<class T>() {
    return make_output<T>(p, x.dtype(), sum_grid<T>(p.grid), [](Acc<T> a, int64_t) { return a; });
  });
}

// x: [*] -> [*] with dims removed; the mean of nothing is NaN (0 / 0), as in PyTorch.
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  Plan p = plan_reduction(x, dims, keepdim, "mean");
  return dispatch_float(x.dtype(), "mean", [&]<class T>() {
    const Acc<T> n = static_cast<Acc<T>>(p.grid.n);
    return make_output<T>(p, x.dtype(), sum_grid<T>(p.grid), [&](Acc<T> a, int64_t) { return a / n; });
  });
}

// x: [*] -> [*] with dims removed
Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) {
  Plan p = plan_reduction(x, dims, keepdim, "amax");
  check_nonempty(p, x, "amax");
  return dispatch(x.dtype(), [&]<class T>() {
    return make_output<T>(p, x.dtype(), max_grid<T>(p.grid), [](T a, int64_t) { return a; });
  });
}

// x: [*] -> [*] with dims removed
Tensor amin(const Tensor& x, const Shape& dims, bool keepdim) {
  Plan p = plan_reduction(x, dims, keepdim, "amin");
  check_nonempty(p, x, "amin");
  return dispatch(x.dtype(), [&]<class T>() {
    return make_output<T>(p, x.dtype(), min_grid<T>(p.grid), [](T a, int64_t) { return a; });
  });
}

// x: [*] -> [*] with dims removed
Tensor var(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  return var_impl(x, dims, correction, keepdim, false, "var");
}

// x: [*] -> [*] with dims removed
Tensor std(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  return var_impl(x, dims, correction, keepdim, true, "std");
}

// x: [*] -> [*] with dims removed. log(sum(exp(x - m))) + m with m the max, so nothing overflows; an infinite max is
// not subtracted (inf - inf would be NaN), and the logsumexp of nothing is -inf.
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim) {
  Plan p = plan_reduction(x, dims, keepdim, "logsumexp");
  return dispatch_float(x.dtype(), "logsumexp", [&]<class T>() {
    using A = Acc<T>;
    std::vector<T> shift = max_grid<T>(p.grid);
    for (T& m : shift) m = std::isinf(m) ? T(0) : m;
    std::vector<A> s = fold_grid<A, T>(
        p.grid, A(0), [&](A a, T v, int64_t k) { return a + static_cast<A>(exp_of<T>(v - shift[k])); },
        [](A a, A b) { return a + b; });
    return make_output<T>(p, x.dtype(), s, [&](A a, int64_t k) { return std::log(a) + static_cast<A>(shift[k]); });
  });
}

// x: [*] -> [*] with dims removed. (sum |x|^p)^(1/p); p = inf / -inf is the max / min of |x|, p = 0 counts non-zeros.
Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim) {
  check(!std::isnan(p), "norm: p must be a number, got nan");
  Plan plan = plan_reduction(x, dims, keepdim, "norm");
  return dispatch_float(x.dtype(), "norm", [&]<class T>() {
    using A = Acc<T>;
    const auto add = [](A a, A b) { return a + b; };
    const auto keep = [](A a, int64_t) { return a; };
    if (std::isinf(p)) {
      check(plan.grid.n > 0 || plan.grid.outer * plan.grid.inner == 0,
            "norm: the {} norm of zero elements is undefined (input shape {})", p, x.shape());
      const bool is_max = p > 0;
      std::vector<T> m = fold_grid<T, T>(
          plan.grid, is_max ? T(0) : highest<T>(),
          [&](T a, T v, int64_t) { return is_max ? max_nan(a, std::abs(v)) : min_nan(a, std::abs(v)); },
          [&](T a, T b) { return is_max ? max_nan(a, b) : min_nan(a, b); });
      return make_output<T>(plan, x.dtype(), m, [](T a, int64_t) { return a; });
    }
    if (p == 2.0) {
      std::vector<A> s = fold_grid<A, T>(
          plan.grid, A(0), [](A a, T v, int64_t) { return a + static_cast<A>(v) * static_cast<A>(v); }, add);
      return make_output<T>(plan, x.dtype(), s, [](A a, int64_t) { return std::sqrt(a); });
    }
    if (p == 1.0) {
      std::vector<A> s = fold_grid<A, T>(
          plan.grid, A(0), [](A a, T v, int64_t) { return a + static_cast<A>(std::abs(v)); }, add);
      return make_output<T>(plan, x.dtype(), s, keep);
    }
    if (p == 0.0) {
      std::vector<A> s = fold_grid<A, T>(plan.grid, A(0), [](A a, T v, int64_t) { return a + A(v != T(0)); }, add);
      return make_output<T>(plan, x.dtype(), s, keep);
    }
    const A pa = static_cast<A>(p);
    std::vector<A> s = fold_grid<A, T>(
        plan.grid, A(0), [&](A a, T v, int64_t) { return a + std::pow(static_cast<A>(std::abs(v)), pa); }, add);
    return make_output<T>(plan, x.dtype(), s, [&](A a, int64_t) { return std::pow(a, A(1) / pa); });
  });
}

// x: [*, n, *] -> values [*, *], indices [*, *]
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) { return max_min_dim(x, dim, keepdim, true, "max"); }
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) { return max_min_dim(x, dim, keepdim, false, "min"); }

// x: [*] -> [] (0-d)
Tensor max(const Tensor& x) {
  check_defined(x, "max");
  check(x.numel() > 0, "max: the tensor of shape {} is empty and has no max; give a dim, or check numel() first",
        x.shape());
  return amax(x);
}
Tensor min(const Tensor& x) {
  check_defined(x, "min");
  check(x.numel() > 0, "min: the tensor of shape {} is empty and has no min; give a dim, or check numel() first",
        x.shape());
  return amin(x);
}

// x: [*, n, *] -> [*, *] (int64)
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, true, "argmax").indices;
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, false, "argmin").indices;
}

// x: [broadcast of shape] -> [shape]. Sums the leading dims x has in excess, and the dims where shape has size 1 but
// x does not. Returns x itself (no copy) when nothing needs summing, as PyTorch does.
Tensor sum_to_size(const Tensor& x, const Shape& shape) {
  check_defined(x, "sum_to_size");
  const bool ok = shape.size() <= x.dim() && broadcast_shapes(shape, x.shape(), "sum_to_size") == x.shape();
  check(ok,
        "sum_to_size: shape {} does not broadcast to the input's shape {}; the target must be a shape that "
        "broadcasts to it (same trailing sizes, or 1)",
        shape, x.shape());
  const int lead = x.dim() - shape.size();
  Shape dims;
  for (int d = 0; d < x.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && x.size(d) != 1)) dims.push_back(d);
  }
  if (dims.empty()) return x;
  return sum(x, dims, /*keepdim=*/true).view(shape);
}

// x: [*] -> [*], along dim
Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl<false>(x, dim, "softmax"); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl<true>(x, dim, "log_softmax"); }

}  // namespace glimpse
