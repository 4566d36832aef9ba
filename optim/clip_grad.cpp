// Gradient clipping: one pass to measure the joint norm, one in-place pass to scale (optim::Adam::clip_and_step
// folds the second into its update).
#include "optim/clip_grad.h"

#include <cmath>

#include "optim/chunks.h"
#include "tensor/elementwise.h"
#include "tensor/iter.h"
#include "tensor/lane_sum.h"

namespace glimpse::optim {

double grad_norm(const std::vector<Variable>& params, double norm_type) {
  check(norm_type > 0.0, "grad_norm: norm_type must be > 0, got {}", norm_type);
  const bool inf = std::isinf(norm_type), two = norm_type == 2.0;
  std::vector<Tensor> grads;
  std::vector<int64_t> sizes;
  for (const Variable& p : params) {
    if (!p.grad().defined()) continue;
    grads.push_back(p.grad().contiguous());
    sizes.push_back(grads.back().numel());
  }
  // Sum of |g|^p (or the largest |g| for p = inf) per chunk (chunks.h), on any thread; then the chunks in order.
  std::vector<Chunk> chunks;
  make_chunks(sizes, chunks);
  std::vector<double> part(chunks.size(), 0.0);
  for_each_chunk(chunks, [&](int64_t c, const Chunk& ch) {
    const Tensor& g = grads[ch.index];
    dispatch_float(g.dtype(), "grad_norm", [&]<class T>() {
      const T* d = g.data<T>() + ch.begin;
      const int64_t n = ch.end - ch.begin;
      double acc = 0.0;
      if (two) {  // the common case: eight running sums the compiler vectorises (lane_sum.h)
        acc = detail::lane_sum<double>(n, [&](int64_t i) { return static_cast<double>(d[i]) * static_cast<double>(d[i]); });
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const double a = std::abs(static_cast<double>(d[i]));
          acc = inf ? std::max(acc, a) : acc + std::pow(a, norm_type);
        }
      }
      part[static_cast<size_t>(c)] = acc;
    });
  });
  double acc = 0.0;
  for (double x : part) acc = inf ? std::max(acc, x) : acc + x;
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
