// nn::Linear: the fully connected layer y = x Wᵀ + b (torch.nn.Linear).
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace glimpse::nn {

class Linear : public Module {
 public:
  // weight: [out_features, in_features] ~ kaiming_uniform(a = √5), which is U(-1/√in, 1/√in); bias: [out_features]
  // ~ U(-1/√in, 1/√in). Both as PyTorch's reset_parameters(), so a model ported from PyTorch starts the same way.
  Linear(int64_t in_features, int64_t out_features, bool bias = true);

  // x: [*, in_features] -> [*, out_features]
  Variable forward(const Variable& x) const;

  std::string extra_repr() const override;  // "in_features=8, out_features=1, bias=True"

  int64_t in_features, out_features;
  Variable weight;
  Variable bias;  // undefined when built with bias = false
};

}  // namespace glimpse::nn
