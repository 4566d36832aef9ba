// Learning-rate schedules: each is its factor formula; the base class applies it to every group.
#include "optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>

namespace glimpse::optim {

void LRScheduler::apply() {
  double f = factor(epoch_);
  check(std::isfinite(f) && f >= 0.0, "lr scheduler: factor {} at epoch {} is not a finite number >= 0", f, epoch_);
  for (size_t g = 0; g < opt_.num_groups(); ++g) opt_.set_lr(g, opt_.initial_lr(g) * f);
}

void LRScheduler::step() {
  ++epoch_;
  apply();
}

NamedTensors LRScheduler::state_dict() const {
  NamedTensors out;
  out.add("last_epoch", scalar_tensor(static_cast<double>(epoch_), kInt64));
  return out;
}

void LRScheduler::load_state_dict(const NamedTensors& state) {
  const Tensor* e = state.find("last_epoch");
  check(e != nullptr && e->numel() == 1 && e->dtype() == kInt64 && state.size() == 1,
        "lr scheduler: load_state_dict expects exactly one int64 entry \"last_epoch\"");
  epoch_ = e->item<int64_t>();
  apply();
}

ConstantLR::ConstantLR(Optimizer& opt, double factor, int64_t total_iters)
    : LRScheduler(opt), factor_(factor), total_iters_(total_iters) {
  check_option(factor >= 0.0 && factor <= 1.0, "ConstantLR", "factor", factor, "must be in [0, 1]");
  apply();
}
double ConstantLR::factor(int64_t epoch) const { return epoch < total_iters_ ? factor_ : 1.0; }

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma) : LRScheduler(opt), step_size_(step_size), gamma_(gamma) {
  check_option(step_size > 0, "StepLR", "step_size", static_cast<double>(step_size), "must be > 0");
  apply();
}
double StepLR::factor(int64_t epoch) const { return std::pow(gamma_, static_cast<double>(epoch / step_size_)); }

ExponentialLR::ExponentialLR(Optimizer& opt, double gamma) : LRScheduler(opt), gamma_(gamma) {
  check_option(gamma > 0.0, "ExponentialLR", "gamma", gamma, "must be > 0");
  apply();
}
double ExponentialLR::factor(int64_t epoch) const { return std::pow(gamma_, static_cast<double>(epoch)); }

CosineWithWarmup::CosineWithWarmup(Optimizer& opt, const CosineWithWarmupOptions& options)
    : LRScheduler(opt), options_(options) {
  check_option(options.warmup_iters >= 0, "CosineWithWarmup", "warmup_iters",
               static_cast<double>(options.warmup_iters), "must be >= 0");
  check_option(options.decay_iters > options.warmup_iters, "CosineWithWarmup", "decay_iters",
               static_cast<double>(options.decay_iters), "must be greater than warmup_iters");
  check_option(options.min_lr_factor >= 0.0 && options.min_lr_factor <= 1.0, "CosineWithWarmup", "min_lr_factor",
               options.min_lr_factor, "must be in [0, 1]");
  apply();
}
double CosineWithWarmup::factor(int64_t it) const {
  const auto& o = options_;
  if (it < o.warmup_iters) return static_cast<double>(it + 1) / static_cast<double>(o.warmup_iters + 1);
  if (it > o.decay_iters) return o.min_lr_factor;
  double r = static_cast<double>(it - o.warmup_iters) / static_cast<double>(o.decay_iters - o.warmup_iters);
  double coeff = 0.5 * (1.0 + std::cos(M_PI * r));
  return o.min_lr_factor + coeff * (1.0 - o.min_lr_factor);
}

NoamLR::NoamLR(Optimizer& opt, const NoamLROptions& options) : LRScheduler(opt), options_(options) {
  check_option(options.d_model > 0, "NoamLR", "d_model", static_cast<double>(options.d_model), "must be > 0");
  check_option(options.warmup > 0, "NoamLR", "warmup", static_cast<double>(options.warmup), "must be > 0");
  apply();
}
double NoamLR::factor(int64_t it) const {
  const double s = static_cast<double>(it + 1), w = static_cast<double>(options_.warmup);
  return std::pow(static_cast<double>(options_.d_model), -0.5) * std::min(std::pow(s, -0.5), s * std::pow(w, -1.5));
}

LambdaLR::LambdaLR(Optimizer& opt, std::function<double(int64_t)> fn) : LRScheduler(opt), fn_(std::move(fn)) {
  check(static_cast<bool>(fn_), "LambdaLR: the factor function is empty");
  apply();
}
double LambdaLR::factor(int64_t epoch) const { return fn_(epoch); }

}  // namespace glimpse::optim
