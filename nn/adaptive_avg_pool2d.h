// nn::AdaptiveAvgPool2d: averages each image down to a fixed output size whatever its input size
// (torch.nn.AdaptiveAvgPool2d); {1, 1} is global average pooling. No parameters.
#pragma once

#include <string>

#include "autograd/ops_conv.h"
#include "nn/module.h"

namespace glimpse::nn {

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  // x: [N, C, H, W] -> [N, C, output_size[0], output_size[1]]
  Variable forward(const Variable& x) const;
  std::string extra_repr() const override;  // "output_size=(1, 1)"

  Size2 output_size;
};

}  // namespace glimpse::nn
