// nn::Conv2d: the 2-d convolution layer on NCHW images (torch.nn.Conv2d), on top of autograd's conv2d.
//
//   out[n, o, y, x] = bias[o] + sum_{c in group(o), i, j} weight[o, c, i, j] * in[n, c, y*s - p + i*d, x*s - p + j*d]
//
// groups splits the channels into independent convolutions: input channels [g * C/G, (g+1) * C/G) only feed output
// channels [g * OC/G, (g+1) * OC/G). groups = in_channels = out_channels is the depthwise convolution.
//
//   nn::Conv2d conv(1, 16, {3, 3}, {.padding = {1, 1}});
//   Variable y = conv.forward(x);   // x: [B, 1, 28, 28] -> [B, 16, 28, 28]
#pragma once

#include <cstdint>
#include <string>

#include "autograd/ops_conv.h"
#include "nn/module.h"

namespace glimpse::nn {

// The constructor's arguments after kernel_size, in PyTorch's order.
struct Conv2dOptions {
  Size2 stride = {1, 1};
  Size2 padding = {0, 0};  // zeros on each side
  Size2 dilation = {1, 1};
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  // weight: [out_channels, in_channels / groups, kh, kw] ~ kaiming_uniform(a = √5) = U(-1/√fan_in, 1/√fan_in) and
  // bias: [out_channels] ~ U(-1/√fan_in, 1/√fan_in), fan_in = in_channels / groups * kh * kw (PyTorch's defaults).
  Conv2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size, const Conv2dOptions& options = {});

  // x: [N, in_channels, H, W] -> [N, out_channels, OH, OW], OH = floor((H + 2p - d(k - 1) - 1) / s) + 1
  Variable forward(const Variable& x) const;

  std::string extra_repr() const override;  // "1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)"

  int64_t in_channels, out_channels;
  Size2 kernel_size;
  Conv2dOptions options;
  Variable weight;
  Variable bias;  // undefined when built with bias = false
};

}  // namespace glimpse::nn
