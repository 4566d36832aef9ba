// nn::Dropout: zeroes random elements during training, and is the identity in evaluation (torch.nn.Dropout).
#pragma once

#include <string>

#include "nn/module.h"

namespace glimpse::nn {

class Dropout : public Module {
 public:
  // p: the probability of zeroing an element, in [0, 1].
  explicit Dropout(double p = 0.5);

  // x: [*] -> [*]; in training each element is zeroed with probability p and the rest are scaled by 1 / (1 - p), so
  // that eval() (which leaves x unchanged) sees the same expected values.
  Variable forward(const Variable& x) const;

  std::string extra_repr() const override;  // "p=0.5"

  double p;
};

}  // namespace glimpse::nn
