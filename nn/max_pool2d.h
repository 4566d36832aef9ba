// nn::MaxPool2d: the largest value of each window (torch.nn.MaxPool2d); no parameters.
#pragma once

#include <string>

#include "autograd/ops_conv.h"
#include "nn/module.h"

namespace glimpse::nn {

struct MaxPool2dOptions {
  Size2 stride = {0, 0};  // {0, 0} = kernel_size (PyTorch's stride=None)
  Size2 padding = {0, 0};
  Size2 dilation = {1, 1};
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Size2 kernel_size, const MaxPool2dOptions& options = {});
  // x: [N, C, H, W] -> [N, C, OH, OW]
  Variable forward(const Variable& x) const;
  std::string extra_repr() const override;  // "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)"

  Size2 kernel_size;
  MaxPool2dOptions options;
};

}  // namespace glimpse::nn
