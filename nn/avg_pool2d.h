// nn::AvgPool2d: the mean of each window (torch.nn.AvgPool2d); no parameters.
#pragma once

#include <string>

#include "autograd/ops_conv.h"
#include "nn/module.h"

namespace glimpse::nn {

struct AvgPool2dOptions {
  Size2 stride = {0, 0};  // {0, 0} = kernel_size (PyTorch's stride=None)
  Size2 padding = {0, 0};
  bool count_include_pad = true;  // padded zeros count in the divisor (PyTorch's default)
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, const AvgPool2dOptions& options = {});
  // x: [N, C, H, W] -> [N, C, OH, OW]
  Variable forward(const Variable& x) const;
  std::string extra_repr() const override;  // "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)"

  Size2 kernel_size;
  AvgPool2dOptions options;
};

}  // namespace glimpse::nn
