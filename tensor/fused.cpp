// Fused kernels for LayerNorm, cross-entropy, NLL and binary cross-entropy (see fused.h for the formulas).
//
// The row kernels (LayerNorm, cross-entropy) pack their input once if it is not contiguous, then handle one row at a
// time: the row is read from memory once, and the second and third passes over it hit the cache. Row sums use
// `lane_sum`: eight independent partial sums, because without -ffast-math the compiler must keep a single running
// sum in program order, which it can neither vectorise nor pipeline; eight lanes let it do both.
#include "tensor/fused.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/iter.h"
#include "tensor/parallel.h"

namespace glimpse {
namespace {

constexpr int kLanes = 8;

// sum of term(i) for i in [0, n), in eight interleaved partial sums.
template <class T, class F>
T lane_sum(int64_t n, F term) {
  T part[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) part[k] += term(i + k);
  }
  for (int k = 0; i < n; ++i, ++k) part[k] += term(i);
  T s = 0;
  for (int k = 0; k < kLanes; ++k) s += part[k];
  return s;
}

// max of p[0..n) (n >= 1), in eight interleaved partial maxima. A NaN never wins here, but it still reaches the
// result through the sum of exponentials that follows.
template <class T>
T lane_max(const T* p, int64_t n) {
  T part[kLanes];
  for (int k = 0; k < kLanes; ++k) part[k] = p[0];
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) part[k] = p[i + k] > part[k] ? p[i + k] : part[k];
  }
  for (int k = 0; i < n; ++i, ++k) part[k] = p[i] > part[k] ? p[i] : part[k];
  T m = part[0];
  for (int k = 1; k < kLanes; ++k) m = part[k] > m ? part[k] : m;
  return m;
}

// ---- LayerNorm helpers

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

// ---- cross-entropy / NLL helpers

// Checks logits/log_probs [N, C] against target [N] (int64) and returns N.
int64_t check_class_target(const Tensor& scores, const Tensor& target, const char* op, const char* what) {
  check_defined(scores, op);
  check_defined(target, op);
  check(scores.dim() == 2, "{}: {} must be 2-d [N, C], got shape {}", op, what, scores.shape());
  check(target.dtype() == kInt64, "{}: target must hold int64 class indices, got dtype {}; convert with "
        ".to(kInt64)", op, dtype_name(target.dtype()));
  check(target.dim() == 1 && target.size(0) == scores.size(0), "{}: target of shape {} does not match {} of shape {}; "
        "expected target shape [{}]", op, target.shape(), what, scores.shape(), scores.size(0));
  return scores.size(0);
}

// Throws unless t is a class index in [0, C) or the ignore_index.
void check_class(int64_t t, int64_t row, int64_t C, int64_t ignore_index, const char* op) {
  check(t == ignore_index || (t >= 0 && t < C), "{}: target {} at position {} is out of range for {} classes (valid: "
        "0 to {}, or ignore_index {})", op, t, row, C, C - 1, ignore_index);
}

// The gradient of row i: grad is [N] or 0-d (a single value for every row, as produced by reductions "sum"/"mean").
void check_row_grad(const Tensor& grad, int64_t N, const char* op) {
  check_defined(grad, op);
  check(grad.dim() == 0 || (grad.dim() == 1 && grad.size(0) == N), "{}: grad must be [{}] or 0-d, got shape {}", op, N,
        grad.shape());
}

}  // namespace

// ---- LayerNorm

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

// ---- cross-entropy

CrossEntropyForward cross_entropy_forward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                                          double label_smoothing) {
  const char* op = "cross_entropy";
  const int64_t N = check_class_target(logits, target, op, "logits");
  check(label_smoothing >= 0.0 && label_smoothing <= 1.0, "{}: label_smoothing must be in [0, 1], got {}", op,
        label_smoothing);
  const int64_t C = logits.size(1);
  return dispatch_float(logits.dtype(), op, [&]<class T>() {
    CrossEntropyForward out{empty({N}, logits.dtype()), empty({N}, logits.dtype()), 0};
    Tensor xc = logits.contiguous(), tc = target.contiguous();
    const T* px = xc.data<T>();
    const int64_t* pt = tc.data<int64_t>();
    T* ploss = out.loss.data<T>();
    T* plse = out.lse.data<T>();
    const double eps = label_smoothing;
    for (int64_t i = 0; i < N; ++i) {
      const int64_t t = pt[i];
      check_class(t, i, C, ignore_index, op);
      if (t == ignore_index) {  // padding: no loss, no gradient, not counted
        ploss[i] = T(0);
        plse[i] = T(0);
        continue;
      }
      const T* xr = px + i * C;
      T m = lane_max(xr, C);
      if (!std::isfinite(m)) m = T(0);  // all -inf (or an inf): do not turn x - m into NaN for the finite entries
      const T sum_exp = lane_sum<T>(C, [&](int64_t c) { return std::exp(xr[c] - m); });
      const double lse = static_cast<double>(m) + std::log(static_cast<double>(sum_exp));
      double loss = lse - static_cast<double>(xr[t]);  // -log softmax[t]
      if (eps > 0.0) {
        // mean_c(-log softmax[c]) = lse - mean_c(x[c])
        const double mean_x = static_cast<double>(lane_sum<T>(C, [&](int64_t c) { return xr[c]; })) / C;
        loss = (1.0 - eps) * loss + eps * (lse - mean_x);
      }
      ploss[i] = static_cast<T>(loss);
      plse[i] = static_cast<T>(lse);
      ++out.num_valid;
    }
    return out;
  });
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, const Tensor& lse,
                              int64_t ignore_index, double label_smoothing) {
  const char* op = "cross_entropy_backward";
  const int64_t N = check_class_target(logits, target, op, "logits");
  check_row_grad(grad, N, op);
  check_defined(lse, op);
  check(lse.dim() == 1 && lse.size(0) == N, "{}: lse must be [{}], got shape {}", op, N, lse.shape());
  check(grad.dtype() == logits.dtype() && lse.dtype() == logits.dtype(), "{}: grad ({}), logits ({}) and lse ({}) "
        "must share a dtype", op, dtype_name(grad.dtype()), dtype_name(logits.dtype()), dtype_name(lse.dtype()));
  const int64_t C = logits.size(1);
  return dispatch_float(logits.dtype(), op, [&]<class T>() {
    Tensor d = empty(logits.shape(), logits.dtype());
    Tensor xc = logits.contiguous(), tc = target.contiguous(), gc = grad.contiguous(), lc = lse.contiguous();
    const T* px = xc.data<T>();
    const int64_t* pt = tc.data<int64_t>();
    const T* pg = gc.data<T>();
    const T* pl = lc.data<T>();
    const int64_t g_step = grad.dim() == 0 ? 0 : 1;
    T* pd = d.data<T>();
    const T smooth = static_cast<T>(label_smoothing / static_cast<double>(C > 0 ? C : 1));  // eps / C
    const T hit = static_cast<T>(1.0 - label_smoothing);                                     // 1 - eps
    for (int64_t i = 0; i < N; ++i) {
      T* dr = pd + i * C;
      const int64_t t = pt[i];
      check_class(t, i, C, ignore_index, op);
      if (t == ignore_index) {
        for (int64_t c = 0; c < C; ++c) dr[c] = T(0);
        continue;
      }
      const T* xr = px + i * C;
      const T g = pg[i * g_step], l = pl[i];
      for (int64_t c = 0; c < C; ++c) dr[c] = (std::exp(xr[c] - l) - smooth) * g;  // (softmax - eps/C) * g
      dr[t] -= hit * g;                                                             // the one-hot part of q
    }
    return d;
  });
}

// ---- NLL

NllLossForward nll_loss_forward(const Tensor& log_probs, const Tensor& target, int64_t ignore_index) {
  const char* op = "nll_loss";
  const int64_t N = check_class_target(log_probs, target, op, "log_probs");
  const int64_t C = log_probs.size(1);
  return dispatch_float(log_probs.dtype(), op, [&]<class T>() {
    NllLossForward out{empty({N}, log_probs.dtype()), 0};
    Tensor tc = target.contiguous();
    const int64_t* pt = tc.data<int64_t>();
    const T* pl = log_probs.data<T>();  // strided reads: one element per row, no need to pack
    const int64_t s0 = log_probs.stride(0), s1 = log_probs.stride(1);
    T* ploss = out.loss.data<T>();
    for (int64_t i = 0; i < N; ++i) {
      const int64_t t = pt[i];
      check_class(t, i, C, ignore_index, op);
      if (t == ignore_index) {
        ploss[i] = T(0);
        continue;
      }
      ploss[i] = -pl[i * s0 + t * s1];
      ++out.num_valid;
    }
    return out;
  });
}

Tensor nll_loss_backward(const Tensor& grad, const Tensor& target, int64_t num_classes, int64_t ignore_index) {
  const char* op = "nll_loss_backward";
  check_defined(target, op);
  check(target.dtype() == kInt64 && target.dim() == 1, "{}: target must be a 1-d int64 tensor, got shape {} ({})", op,
        target.shape(), dtype_name(target.dtype()));
  const int64_t N = target.size(0), C = num_classes;
  check_row_grad(grad, N, op);
  return dispatch_float(grad.dtype(), op, [&]<class T>() {
    Tensor d = zeros({N, C}, grad.dtype());
    Tensor tc = target.contiguous(), gc = grad.contiguous();
    const int64_t* pt = tc.data<int64_t>();
    const T* pg = gc.data<T>();
    const int64_t g_step = grad.dim() == 0 ? 0 : 1;
    T* pd = d.data<T>();
    for (int64_t i = 0; i < N; ++i) {
      const int64_t t = pt[i];
      check_class(t, i, C, ignore_index, op);
      if (t != ignore_index) pd[i * C + t] = -pg[i * g_step];
    }
    return d;
  });
}

// ---- binary cross-entropy with logits

namespace {

// Checks x and t, and returns t and pos_weight (ones when undefined) in x's dtype, pos_weight viewed at x's shape.
struct BceOperands {
  Tensor t, pos_weight;
};
BceOperands bce_operands(const Tensor& x, const Tensor& t, const Tensor& pos_weight, const char* op) {
  check_defined(x, op);
  check_defined(t, op);
  check(is_floating(x.dtype()), "{}: logits must be floating point, got dtype {}", op, dtype_name(x.dtype()));
  check(t.shape() == x.shape(), "{}: target of shape {} does not match logits of shape {}; reshape one of them (a "
        "[N, 1] against [N] mismatch would otherwise broadcast to [N, N])", op, t.shape(), x.shape());
  Tensor pw = pos_weight.defined() ? pos_weight.to(x.dtype()) : scalar_tensor(1.0, x.dtype());
  bool fits = pw.dim() <= x.dim();  // pos_weight must broadcast to x without growing it
  for (int i = 1; fits && i <= pw.dim(); ++i) fits = pw.size(-i) == 1 || pw.size(-i) == x.size(-i);
  check(fits, "{}: pos_weight of shape {} does not broadcast to the logits' shape {} (typically it is [C], one weight "
        "per class of the last dim)", op, pw.shape(), x.shape());
  return {t.to(x.dtype()), pw.expand(x.shape())};
}

}  // namespace

Tensor binary_cross_entropy_with_logits_forward(const Tensor& x, const Tensor& t, const Tensor& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  BceOperands o = bce_operands(x, t, pos_weight, op);
  return dispatch_float(x.dtype(), op, [&]<class T>() {
    Tensor y = empty(x.shape(), x.dtype());
    T* py = y.data<T>();
    const T* px = x.data<T>();
    const T* pt = o.t.data<T>();
    const T* pw = o.pos_weight.data<T>();
    // The body calls exp and log1p, which are not vectorised without -ffast-math anyway, so one strided loop serves
    // contiguous and strided operands alike.
    for_each_block<4>(x.shape(), {&y.strides(), &x.strides(), &o.t.strides(), &o.pos_weight.strides()},
                      [&](const Block<4>& b) {
                        for (int64_t i = 0; i < b.n; ++i) {
                          const T v = px[b.offset[1] + i * b.stride[1]];
                          const T tv = pt[b.offset[2] + i * b.stride[2]];
                          const T w = T(1) + (pw[b.offset[3] + i * b.stride[3]] - T(1)) * tv;
                          const T softplus_neg = (v < T(0) ? -v : T(0)) + std::log1p(std::exp(-std::abs(v)));
                          py[b.offset[0] + i * b.stride[0]] = (T(1) - tv) * v + w * softplus_neg;
                        }
                      });
    return y;
  });
}

Tensor binary_cross_entropy_with_logits_backward(const Tensor& grad, const Tensor& x, const Tensor& t,
                                                 const Tensor& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits_backward";
  BceOperands o = bce_operands(x, t, pos_weight, op);
  check_defined(grad, op);
  check((grad.dim() == 0 || grad.shape() == x.shape()) && grad.dtype() == x.dtype(), "{}: grad of shape {} ({}) must "
        "be 0-d or match the logits' shape {} ({})", op, grad.shape(), dtype_name(grad.dtype()), x.shape(),
        dtype_name(x.dtype()));
  Tensor g = grad.expand(x.shape());  // a 0-d grad (reductions "sum"/"mean") becomes stride 0
  return dispatch_float(x.dtype(), op, [&]<class T>() {
    Tensor d = empty(x.shape(), x.dtype());
    T* pd = d.data<T>();
    const T* pg = g.data<T>();
    const T* px = x.data<T>();
    const T* pt = o.t.data<T>();
    const T* pw = o.pos_weight.data<T>();
    for_each_block<5>(x.shape(), {&d.strides(), &g.strides(), &x.strides(), &o.t.strides(), &o.pos_weight.strides()},
                      [&](const Block<5>& b) {
                        for (int64_t i = 0; i < b.n; ++i) {
                          const T v = px[b.offset[2] + i * b.stride[2]];
                          const T tv = pt[b.offset[3] + i * b.stride[3]];
                          const T w = T(1) + (pw[b.offset[4] + i * b.stride[4]] - T(1)) * tv;
                          // sigmoid(v) - 1 = -sigmoid(-v), computed without overflow for either sign of v
                          const T e = std::exp(-std::abs(v));
                          const T sig_neg = v >= T(0) ? e / (T(1) + e) : T(1) / (T(1) + e);
                          pd[b.offset[0] + i * b.stride[0]] = pg[b.offset[1] + i * b.stride[1]] * ((T(1) - tv) - w * sig_neg);
                        }
                      });
    return d;
  });
}

}  // namespace glimpse
