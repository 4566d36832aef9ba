// nn::BatchNorm2d: the forward is composed of differentiable reductions (mean, var) and elementwise ops, so the
// backward through the batch statistics comes from the tape; the running estimates are plain Tensor updates.
#include "nn/batch_norm2d.h"

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "tensor/elementwise.h"

namespace glimpse::nn {

BatchNorm2d::BatchNorm2d(int64_t num_features, const BatchNorm2dOptions& options)
    : Module("BatchNorm2d"), num_features(num_features), options(options) {
  check(num_features > 0, "BatchNorm2d: num_features must be positive, got {}", num_features);
  check(options.eps > 0, "BatchNorm2d: eps must be positive, got {}", options.eps);
  if (options.affine) {
    weight = register_parameter("weight", ones({num_features}));
    bias = register_parameter("bias", zeros({num_features}));
  }
  if (options.track_running_stats) {
    register_buffer("running_mean", zeros({num_features}));
    register_buffer("running_var", ones({num_features}));
    register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}

// Buffers are looked up by name each time: Module::to() and load_state_dict() may replace the tensors.
Tensor BatchNorm2d::buffer(const std::string& name) const {
  for (const auto& [n, t] : named_buffers()) {
    if (n == name) return t;
  }
  return Tensor();
}

Tensor BatchNorm2d::running_mean() const { return buffer("running_mean"); }
Tensor BatchNorm2d::running_var() const { return buffer("running_var"); }

// x: [N, C, H, W] -> [N, C, H, W]
Variable BatchNorm2d::forward(const Variable& x) const {
  check(x.defined(), "BatchNorm2d: the input is undefined");
  check(x.dim() == 4 && x.size(1) == num_features, "BatchNorm2d({}): expected input [N, {}, H, W], got {}",
        num_features, num_features, x.shape());
  const Shape stat_shape{1, num_features, 1, 1};
  const bool use_batch = is_training() || !options.track_running_stats;
  Variable xhat;
  if (use_batch) {
    const int64_t count = x.size(0) * x.size(2) * x.size(3);
    check(count > 1, "BatchNorm2d: expected more than 1 value per channel when training, got input {}", x.shape());
    Variable mu = mean(x, {0, 2, 3}, /*keepdim=*/true);
    Variable centred = x - mu;
    Variable v = mean(centred * centred, {0, 2, 3}, true);  // biased variance: what the normalisation uses
    xhat = centred * rsqrt(v + options.eps);
    if (is_training() && options.track_running_stats) {
      const double m = options.momentum;
      Tensor rm = running_mean(), rv = running_var();
      const Tensor unbiased = v.data().view({num_features}) * (static_cast<double>(count) / (count - 1));
      rm.copy_(rm * (1 - m) + mu.data().view({num_features}).to(rm.dtype()) * m);
      rv.copy_(rv * (1 - m) + unbiased.to(rv.dtype()) * m);
      Tensor nbt = buffer("num_batches_tracked");
      nbt.copy_(add(nbt, 1.0));
    }
  } else {
    Tensor rm = running_mean().to(x.dtype()).view(stat_shape), rv = running_var().to(x.dtype()).view(stat_shape);
    xhat = (x - Variable(rm)) * Variable(rsqrt(rv + options.eps));
  }
  if (!options.affine) return xhat;
  return xhat * weight.view(stat_shape) + bias.view(stat_shape);
}

std::string BatchNorm2d::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features, options.eps,
                     options.momentum, options.affine ? "True" : "False",
                     options.track_running_stats ? "True" : "False");
}

}  // namespace glimpse::nn
