// max and min: amax/amin over dims, max/min along one dim with the positions (ValuesIndices), the 0-d max/min of a
// whole tensor, argmax and argmin. A NaN is both the max and the min, at its first position, as in PyTorch.
#include <algorithm>
#include <cstdint>

#include "tensor/reduce.h"
#include "tensor/reduce_kernel.h"

namespace glimpse {
namespace {
using namespace detail;

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

enum class Extreme { kMax, kMin };
ValuesIndices max_min_dim(const Tensor& x, int64_t dim, bool keepdim, Extreme which, const char* op) {
  const bool is_max = which == Extreme::kMax;
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

}  // namespace

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

// x: [*, n, *] -> values [*, *], indices [*, *]
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, Extreme::kMax, "max");
}
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, Extreme::kMin, "min");
}

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
  return max_min_dim(x, dim, keepdim, Extreme::kMax, "argmax").indices;
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, Extreme::kMin, "argmin").indices;
}

}  // namespace glimpse
