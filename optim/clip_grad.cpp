// Gradient clipping: one pass to measure the joint norm, one in-place pass to scale (optim::Adam::clip_and_step
// folds the second into its update).
#include "optim/clip_grad.h"

#include <cmath>

#include "tensor/elementwise.h"
#include "tensor/iter.h"

namespace glimpse::optim {

double grad_norm(const std::vector<Variable>& params, double norm_type) {
  check(norm_type > 0.0, "grad_norm: norm_type must be > 0, got {}", norm_type);
  const bool inf = std::isinf(norm_type), two = norm_type == 2.0;
  double acc = 0.0;  // sum of |g|^p over all elements, in order (or the largest |g| for p = inf)
  for (const Variable& p : params) {
    const Tensor& g = p.grad();
    if (!g.defined()) continue;
    const Tensor c = g.contiguous();
    dispatch_float(c.dtype(), "grad_norm", [&]<class T>() {
      const T* d = c.data<T>();
      const int64_t n = c.numel();
      if (two) {  // the common case without a branch or a call per element
        for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(d[i]) * static_cast<double>(d[i]);
        return;
      }
      for (int64_t i = 0; i < n; ++i) {
        const double a = std::abs(static_cast<double>(d[i]));
        acc = inf ? std::max(acc, a) : acc + std::pow(a, norm_type);
      }
    });
  }
  return inf ? acc : std::pow(acc, 1.0 / norm_type);
}

double clip_grad_norm_(const std::vector<Variable>& params, double max_norm, double norm_type) {
  check(max_norm >= 0.0, "clip_grad_norm_: max_norm must be >= 0, got {}", max_norm);
  check(norm_type > 0.0, "clip_grad_norm_: norm_type must be > 0, got {}", norm_type);
  const double total = grad_norm(params, norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    for (const Variable& p : params) {
      if (!p.grad().defined()) continue;
      Tensor g = p.grad();
      mul_(g, coef);
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Variable>& params, double clip_value) {
  check(clip_value >= 0.0, "clip_grad_value_: clip_value must be >= 0, got {}", clip_value);
  for (const Variable& p : params) {
    if (!p.grad().defined()) continue;
    p.set_grad(clamp(p.grad(), -clip_value, clip_value));
  }
}

}  // namespace glimpse::optim
