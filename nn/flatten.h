// nn::Flatten: merges dims start_dim..end_dim into one (torch.nn.Flatten; by default everything but the batch dim).
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace glimpse::nn {

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  // x: [N, C, H, W] -> [N, C * H * W] (defaults)
  Variable forward(const Variable& x) const { return x.flatten(start_dim, end_dim); }
  std::string extra_repr() const override { return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim); }

  int64_t start_dim, end_dim;
};

}  // namespace glimpse::nn
