// Sum-like reductions: sum, mean, var, std, logsumexp, norm and sum_to_size, and the planning every reduction
// starts with (which dims are reduced, and how the input is laid out as the [outer, n, inner] grid described in
// reduce_kernel.h). max/min and their positions are in reduce_extremes.cpp, softmax and log_softmax in softmax.cpp.
#include "tensor/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor/reduce_kernel.h"

namespace glimpse {
namespace detail {

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

}  // namespace detail

namespace {
using namespace detail;

// var and std share this: two passes (mean first, then squared deviations from it), which is far more accurate
// than sum(x^2) - sum(x)^2 / n when the mean is large compared with the spread.
enum class Spread { kVariance, kStandardDeviation };
Tensor var_impl(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim, Spread spread, const char* op) {
  const bool take_sqrt = spread == Spread::kStandardDeviation;
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

// A reduction of every element of a packed tensor to a 0-d one (a loss's mean): one row, so it skips the grid's plan.
bool whole_and_packed(const Tensor& x, const Shape& dims, bool keepdim) {
  return dims.empty() && !keepdim && x.defined() && x.is_contiguous();
}

// The sum of every element of packed x (the same bits as the planned path: reduce_kernel.h, sum_row).
template <class T>
Acc<T> sum_all(const Tensor& x) {
  return sum_row(x.data<T>(), x.numel(), [](T v) { return v; });
}

// A 0-d tensor of `dtype` holding `value` (rounded to T as make_output rounds).
template <class T>
Tensor scalar_of(Acc<T> value, DType dtype) {
  Tensor out = empty({}, dtype);
  *out.data<T>() = static_cast<T>(value);
  return out;
}

}  // namespace

// x: [*] -> [*] with dims removed; int64 stays int64, an empty sum is 0.
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  if (whole_and_packed(x, dims, keepdim)) {
    return dispatch(x.dtype(), [&]<class T>() { return scalar_of<T>(sum_all<T>(x), x.dtype()); });
  }
  Plan p = plan_reduction(x, dims, keepdim, "sum");
  return dispatch(x.dtype(), [&]<class T>() {
    return make_output<T>(p, x.dtype(), sum_grid<T>(p.grid), [](Acc<T> a, int64_t) { return a; });
  });
}

// x: [*] -> [*] with dims removed; the mean of nothing is NaN (0 / 0), as in PyTorch.
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  if (whole_and_packed(x, dims, keepdim) && is_floating(x.dtype())) {
    return dispatch_float(x.dtype(), "mean", [&]<class T>() {
      return scalar_of<T>(sum_all<T>(x) / static_cast<Acc<T>>(x.numel()), x.dtype());
    });
  }
  Plan p = plan_reduction(x, dims, keepdim, "mean");
  return dispatch_float(x.dtype(), "mean", [&]<class T>() {
    const Acc<T> n = static_cast<Acc<T>>(p.grid.n);
    return make_output<T>(p, x.dtype(), sum_grid<T>(p.grid), [&](Acc<T> a, int64_t) { return a / n; });
  });
}

// x: [*] -> [*] with dims removed
Tensor var(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  return var_impl(x, dims, correction, keepdim, Spread::kVariance, "var");
}

// x: [*] -> [*] with dims removed
Tensor std(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim) {
  return var_impl(x, dims, correction, keepdim, Spread::kStandardDeviation, "std");
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
  // Only size-1 dims to sum over (a bias gradient of a batch of one row): the sum is the value itself, as a view.
  bool all_ones = true;
  for (int64_t d : dims) all_ones = all_ones && x.size(d) == 1;
  if (all_ones) return x.reshape(shape);
  return sum(x, dims, /*keepdim=*/true).view(shape);
}

}  // namespace glimpse
