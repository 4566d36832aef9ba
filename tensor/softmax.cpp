// softmax and log_softmax along one dim (declared in reduce.h). The row max is subtracted before exp so nothing
// overflows; the row sums run on the lanes of reduce_kernel.h.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor/reduce.h"
#include "tensor/reduce_kernel.h"

namespace glimpse {
namespace {
using namespace detail;

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

// x: [*] -> [*], along dim
Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl<false>(x, dim, "softmax"); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl<true>(x, dim, "log_softmax"); }

}  // namespace glimpse
