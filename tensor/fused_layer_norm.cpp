// The fused LayerNorm kernels, forward and backward (see fused.h for the formulas). Each row is packed once if the
// input is not contiguous, then read from memory once: the second and third passes over it hit the cache.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/fused.h"
#include "tensor/lane_sum.h"
#include "tensor/parallel.h"

namespace glimpse {
namespace {
using detail::lane_sum;

// x's shape without the trailing normalized_shape, after checking that it really is x's trailing shape.
Shape leading_shape(const Tensor& x, const Shape& normalized_shape, const char* op) {
  const int k = normalized_shape.size();
  check(k >= 1, "{}: normalized_shape is empty; pass the sizes of the last dims to normalise, e.g. {{{}}}", op,
        x.dim() > 0 ? x.shape().back() : 1);
  bool match = k <= x.dim();
  for (int i = 0; match && i < k; ++i) match = x.shape()[x.dim() - k + i] == normalized_shape[i];
  check(match, "{}: normalized_shape {} does not match the last dims of the input of shape {}", op, normalized_shape,
        x.shape());
  return Shape(x.shape().begin(), x.shape().end() - k);
}

void check_affine(const Tensor& p, const char* name, const Tensor& x, const Shape& normalized_shape, const char* op) {
  if (!p.defined()) return;
  check(p.shape() == normalized_shape, "{}: {} has shape {} but normalized_shape is {}; they must be equal", op, name,
        p.shape(), normalized_shape);
  check(p.dtype() == x.dtype(), "{}: {} has dtype {} but the input is {}", op, name, dtype_name(p.dtype()),
        dtype_name(x.dtype()));
}

// The values of an optional per-element parameter as a contiguous row of n, `fill` when it is undefined. Filling in
// 1 for a missing weight and 0 for a missing bias keeps a single loop; the extra multiply-add is free next to the
// memory traffic.
template <class T>
std::vector<T> affine_row(const Tensor& p, int64_t n, T fill) {
  if (!p.defined()) return std::vector<T>(static_cast<size_t>(n), fill);
  return p.to_vector<T>();
}

}  // namespace

LayerNormForward layer_norm_forward(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                                    const Tensor& bias, double eps) {
  const char* op = "layer_norm";
  check_defined(x, op);
  Shape lead = leading_shape(x, normalized_shape, op);
  check_affine(weight, "weight", x, normalized_shape, op);
  check_affine(bias, "bias", x, normalized_shape, op);
  check(eps >= 0.0, "{}: eps must be non-negative, got {}", op, eps);
  const int64_t M = lead.numel(), N = normalized_shape.numel();
  return dispatch_float(x.dtype(), op, [&]<class T>() {
    LayerNormForward out{empty(x.shape(), x.dtype()), empty(lead, x.dtype()), empty(lead, x.dtype())};
    Tensor xc = x.contiguous();
    const std::vector<T> w = affine_row<T>(weight, N, T(1)), b = affine_row<T>(bias, N, T(0));
    const T* px = xc.data<T>();
    T* py = out.y.data<T>();
    T* pmean = out.mean.data<T>();
    T* prstd = out.rstd.data<T>();
    const T inv_n = N > 0 ? T(1) / static_cast<T>(N) : T(0);  // an empty row has mean 0 and variance 0
    // Rows are independent: big inputs split their rows across threads (parallel.h).
    parallel_for(M, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(N, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const T* xr = px + r * N;
        T* yr = py + r * N;
        // Two passes for the statistics (mean, then the mean of squared deviations): unlike E[x²] - E[x]², this does
        // not cancel catastrophically when |mean| is large next to the spread.
        const T mu = lane_sum<T>(N, [&](int64_t j) { return xr[j]; }) * inv_n;
        const T var = lane_sum<T>(N, [&](int64_t j) { return (xr[j] - mu) * (xr[j] - mu); }) * inv_n;
        const T rs = T(1) / std::sqrt(var + static_cast<T>(eps));
        for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - mu) * rs * w[j] + b[j];
        pmean[r] = mu;
        prstd[r] = rs;
      }
    });
    return out;
  });
}

LayerNormBackward layer_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                                      const Tensor& weight, const LayerNormGradMask& mask) {
  const char* op = "layer_norm_backward";
  check_defined(grad, op);
  check_defined(x, op);
  check_defined(mean, op);
  check_defined(rstd, op);
  check(grad.shape() == x.shape() && grad.dtype() == x.dtype(), "{}: grad of shape {} ({}) does not match the input "
        "of shape {} ({})", op, grad.shape(), dtype_name(grad.dtype()), x.shape(), dtype_name(x.dtype()));
  // mean/rstd cover x's leading dims; what is left is the normalised part.
  check(mean.shape() == rstd.shape() && mean.dim() <= x.dim() && mean.dtype() == x.dtype() &&
        rstd.dtype() == x.dtype(), "{}: mean {} and rstd {} must both have x's leading shape (x is {}) and its dtype",
        op, mean.shape(), rstd.shape(), x.shape());
  Shape normalized_shape(x.shape().begin() + mean.dim(), x.shape().end());
  Shape lead = leading_shape(x, normalized_shape, op);
  check(lead == mean.shape(), "{}: mean of shape {} is not the leading shape of x {}", op, mean.shape(), x.shape());
  check_affine(weight, "weight", x, normalized_shape, op);
  const int64_t M = lead.numel(), N = normalized_shape.numel();
  return dispatch_float(x.dtype(), op, [&]<class T>() {
    LayerNormBackward out;
    if (mask.dx) out.dx = empty(x.shape(), x.dtype());
    if (mask.dweight) out.dweight = zeros(normalized_shape, x.dtype());
    if (mask.dbias) out.dbias = zeros(normalized_shape, x.dtype());
    Tensor gc = grad.contiguous(), xc = x.contiguous(), mc = mean.contiguous(), rc = rstd.contiguous();
    const std::vector<T> w = affine_row<T>(weight, N, T(1));
    const T* pg = gc.data<T>();
    const T* px = xc.data<T>();
    const T* pm = mc.data<T>();
    const T* pr = rc.data<T>();
    T* pdx = mask.dx ? out.dx.data<T>() : nullptr;
    T* pdw = mask.dweight ? out.dweight.data<T>() : nullptr;
    T* pdb = mask.dbias ? out.dbias.data<T>() : nullptr;
    const T inv_n = N > 0 ? T(1) / static_cast<T>(N) : T(0);
    // dx, row by row (rows are independent, so big inputs split them across threads): the two row means of the
    // formula, then one pass to write dx.
    if (pdx) {
      parallel_for(M, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(N, 1)), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const T* gr = pg + r * N;
          const T* xr = px + r * N;
          const T mu = pm[r], rs = pr[r];
          const T mean_gw = lane_sum<T>(N, [&](int64_t j) { return gr[j] * w[j]; }) * inv_n;
          const T mean_gw_xhat =
              lane_sum<T>(N, [&](int64_t j) { return gr[j] * w[j] * (xr[j] - mu) * rs; }) * inv_n;
          T* dr = pdx + r * N;
          for (int64_t j = 0; j < N; ++j) dr[j] = rs * (gr[j] * w[j] - mean_gw - (xr[j] - mu) * rs * mean_gw_xhat);
        }
      });
    }
    // The affine gradients are sums over rows: dweight += g * xhat, dbias += g. Each column is summed over the rows
    // in order by one thread; big inputs split the columns.
    if (pdw || pdb) {
      parallel_for(N, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(M, 1)), [&](int64_t j0, int64_t j1) {
        for (int64_t r = 0; r < M; ++r) {
          const T* gr = pg + r * N;
          const T* xr = px + r * N;
          const T mu = pm[r], rs = pr[r];
          if (pdw) {
            for (int64_t j = j0; j < j1; ++j) pdw[j] += gr[j] * (xr[j] - mu) * rs;
          }
          if (pdb) {
            for (int64_t j = j0; j < j1; ++j) pdb[j] += gr[j];
          }
        }
      });
    }
    return out;
  });
}

}  // namespace glimpse
