// nn::BatchNorm2d: normalises each channel over the batch and the image (torch.nn.BatchNorm2d).
//
//   y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c
//
// In training mode mean_c and var_c (biased) are taken over N, H and W of the batch, and the running estimates are
// updated: running = (1 - momentum) * running + momentum * batch value, with the unbiased variance (n / (n - 1)), as
// PyTorch. In eval mode the running estimates are used, so a prediction does not depend on the rest of its batch.
// Parameters weight [C] = 1, bias [C] = 0; buffers running_mean [C] = 0, running_var [C] = 1, num_batches_tracked
// (int64, 0-d): PyTorch's names, so checkpoints carry over.
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace glimpse::nn {

struct BatchNorm2dOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;               // learn weight and bias
  bool track_running_stats = true;  // keep running estimates (else batch statistics are used in eval mode too)
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t num_features, const BatchNorm2dOptions& options = {});

  // x: [N, C, H, W] -> [N, C, H, W]. Training mode also updates the running estimates.
  Variable forward(const Variable& x) const;

  std::string extra_repr() const override;  // "16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True"

  // The current running estimates (shared with the saved state).
  Tensor running_mean() const;
  Tensor running_var() const;

  int64_t num_features;
  BatchNorm2dOptions options;
  Variable weight, bias;  // undefined when affine = false

 private:
  Tensor buffer(const std::string& name) const;
};

}  // namespace glimpse::nn
