// The fused loss kernels: cross-entropy from logits (with ignore_index and label smoothing), NLL, binary
// cross-entropy with logits, forward and backward, and the squared-error reduction of mse_loss (see fused.h for the
// formulas). Cross-entropy handles one row of
// logits at a time: the row is read from memory once (max, then sum of exponentials), the later passes hit the cache.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/fused.h"
#include "tensor/iter.h"
#include "tensor/lane_sum.h"
#include "tensor/reduce_kernel.h"

namespace glimpse {
namespace {
using detail::lane_max;
using detail::lane_sum;


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
                          pd[b.offset[0] + i * b.stride[0]] =
                              pg[b.offset[1] + i * b.stride[1]] * ((T(1) - tv) - w * sig_neg);
                        }
                      });
    return d;
  });
}

// diff: [*] -> []
Tensor squared_error_reduce(const Tensor& diff, bool mean) {
  check_defined(diff, "squared_error_reduce");
  if (!diff.is_contiguous()) return squared_error_reduce(diff.contiguous(), mean);
  return dispatch_float(diff.dtype(), "squared_error_reduce", [&]<class T>() {
    using A = detail::Acc<T>;
    const A total = detail::sum_row(diff.data<T>(), diff.numel(), [](T v) { return v * v; });
    Tensor out = empty({}, diff.dtype());
    *out.data<T>() = static_cast<T>(mean ? total / static_cast<A>(diff.numel()) : total);
    return out;
  });
}

}  // namespace glimpse
