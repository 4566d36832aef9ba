// Learning-rate schedules, usable with any optimizer. A schedule sets each group's lr to
// initial_lr(group) * factor(epoch); step() advances the epoch (call it once per iteration or per epoch, after
// opt.step(), as in PyTorch). Constructing a schedule applies factor(0) at once.
//
//   optim::CosineWithWarmup sched(opt, {.warmup_iters = 100, .decay_iters = 2000, .min_lr_factor = 0.1});
//   for (...) { ...; opt.step(); sched.step(); }
#pragma once

#include <cstdint>
#include <functional>

#include "optim/optimizer.h"

namespace glimpse::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  void step();  // epoch += 1, then set the learning rates
  int64_t last_epoch() const { return epoch_; }
  double get_last_lr(size_t group = 0) const { return opt_.lr(group); }
  // The factor multiplying each group's initial lr at `epoch`.
  virtual double factor(int64_t epoch) const = 0;
  // The schedule's position, for checkpoints ("last_epoch"); load sets the learning rates again.
  NamedTensors state_dict() const;
  void load_state_dict(const NamedTensors& state);

 protected:
  explicit LRScheduler(Optimizer& opt) : opt_(opt) {}
  void apply();  // called by each subclass's constructor, once its settings exist

 private:
  Optimizer& opt_;
  int64_t epoch_ = 0;
};

// factor (default 1/3) until total_iters, then 1 (torch.optim.lr_scheduler.ConstantLR).
class ConstantLR : public LRScheduler {
 public:
  ConstantLR(Optimizer& opt, double factor = 1.0 / 3.0, int64_t total_iters = 5);
  double factor(int64_t epoch) const override;

 private:
  double factor_;
  int64_t total_iters_;
};

// gamma^(epoch / step_size) (integer division): decays by gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);
  double factor(int64_t epoch) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

// gamma^epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& opt, double gamma);
  double factor(int64_t epoch) const override;

 private:
  double gamma_;
};

// nanoGPT's get_lr, as a factor of the initial lr:
//   it < warmup_iters:  (it + 1) / (warmup_iters + 1)                      linear warm-up
//   it > decay_iters:   min_lr_factor                                      the floor
//   otherwise:          min + 0.5 (1 + cos(π r)) (1 - min), r = (it - warmup) / (decay - warmup)
struct CosineWithWarmupOptions {
  int64_t warmup_iters = 0;
  int64_t decay_iters = 1000;
  double min_lr_factor = 0.1;  // nanoGPT: min_lr = learning_rate / 10
};
class CosineWithWarmup : public LRScheduler {
 public:
  CosineWithWarmup(Optimizer& opt, const CosineWithWarmupOptions& options);
  double factor(int64_t epoch) const override;

 private:
  CosineWithWarmupOptions options_;
};

// The warm-up schedule of "Attention Is All You Need" (often called Noam), as a factor of the initial lr:
//   factor(it) = d_model^-0.5 · min(s^-0.5, s · warmup^-1.5),  s = it + 1 (the paper counts steps from 1)
// It rises linearly for `warmup` steps, peaks at (d_model · warmup)^-0.5, then decays as 1/√s. The paper's learning
// rate is this factor itself: construct the optimizer with lr = 1 (or a multiplier such as 2).
struct NoamLROptions {
  int64_t d_model = 512;
  int64_t warmup = 4000;
};
class NoamLR : public LRScheduler {
 public:
  NoamLR(Optimizer& opt, const NoamLROptions& options);
  double factor(int64_t epoch) const override;

 private:
  NoamLROptions options_;
};

// Any factor you like: fn(epoch) (torch.optim.lr_scheduler.LambdaLR).
class LambdaLR : public LRScheduler {
 public:
  LambdaLR(Optimizer& opt, std::function<double(int64_t)> fn);
  double factor(int64_t epoch) const override;

 private:
  std::function<double(int64_t)> fn_;
};

}  // namespace glimpse::optim
