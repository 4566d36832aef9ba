// Adam and AdamW, updating exactly as torch.optim.Adam / AdamW (bias correction and eps placement included):
//   Adam:   g = g + weight_decay * p                      (L2 penalty folded into the gradient)
//   AdamW:  p = p * (1 - lr * weight_decay)               (decoupled decay, applied first)
//   m = β1 m + (1 - β1) g,  v = β2 v + (1 - β2) g²,  v̂max = max(v̂max, v) with amsgrad
//   p = p - lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)
#pragma once

#include "optim/chunks.h"
#include "optim/optimizer.h"

namespace glimpse::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  bool maximize = false;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Variable> params, const AdamOptions& options = {});
  Adam(std::vector<ParamGroup> groups, const AdamOptions& options = {});
  void step() override;
  // clip_grad_norm_(every parameter of this optimizer, in group order, max_norm) and step() fused: one pass reads the
  // gradients for their joint 2-norm, then the update scales each gradient as it reads it (and writes it back
  // scaled, as clip_grad_norm_ leaves it). The same values, bit for bit, as the two calls; one pass over the
  // gradients fewer. Returns the norm before clipping.
  //   loss.backward();  opt.clip_and_step(1.0);
  double clip_and_step(double max_norm);
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(const char* name, std::vector<ParamGroup> groups, const AdamOptions& options, bool decoupled);

 private:
  std::vector<std::string> buffer_names() const override;
  void step_scaled(double grad_scale);  // step() with every gradient multiplied by grad_scale first
  AdamOptions options_;
  bool decoupled_;
  // Reused from step to step: per parameter being updated, its size and its step's scalars (lr / (1 - β1^t),
  // sqrt(1 - β2^t), lr, weight decay); the chunks of them all (chunks.h).
  struct Scalars {
    double lr, weight_decay, step_size, bias_correction2_sqrt;
  };
  std::vector<int64_t> sizes_;
  std::vector<Scalars> scalars_;
  std::vector<Chunk> chunks_;
};

// AdamW: Adam with decoupled weight decay. Its options differ from Adam's only in the default decay (1e-2, as
// PyTorch), which is why they are a separate struct: `optim::AdamW opt(params, {.lr = 6e-4})` decays by 1e-2.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
  AdamOptions adam() const { return {lr, beta1, beta2, eps, weight_decay, amsgrad, maximize}; }
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Variable> params, const AdamWOptions& options = {});
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options = {});
};

}  // namespace glimpse::optim
