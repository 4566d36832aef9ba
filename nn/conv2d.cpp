// nn::Conv2d: parameters with PyTorch's default initialisation, argument checks, and the forward (one autograd op).
#include "nn/conv2d.h"

#include <cmath>

#include "nn/init.h"

namespace glimpse::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size, const Conv2dOptions& options)
    : Module("Conv2d"),
      in_channels(in_channels),
      out_channels(out_channels),
      kernel_size(kernel_size),
      options(options) {
  check(in_channels > 0 && out_channels > 0, "Conv2d: in_channels and out_channels must be positive, got {} and {}",
        in_channels, out_channels);
  check(kernel_size[0] > 0 && kernel_size[1] > 0, "Conv2d: kernel_size must be positive, got ({}, {})",
        kernel_size[0], kernel_size[1]);
  check(options.groups > 0, "Conv2d: groups must be positive, got {}", options.groups);
  check(in_channels % options.groups == 0 && out_channels % options.groups == 0,
        "Conv2d({}, {}): in_channels and out_channels must both be divisible by groups={}", in_channels, out_channels,
        options.groups);
  weight = register_parameter("weight",
                              empty({out_channels, in_channels / options.groups, kernel_size[0], kernel_size[1]}));
  init::kaiming_uniform_(weight, std::sqrt(5.0));  // bound 1/√fan_in, as Linear (see linear.cpp for why √5)
  if (options.bias) {
    bias = register_parameter("bias", empty({out_channels}));
    const double fan_in = static_cast<double>(in_channels / options.groups * kernel_size[0] * kernel_size[1]);
    init::uniform_(bias, -1.0 / std::sqrt(fan_in), 1.0 / std::sqrt(fan_in));
  }
}

// x: [N, C, H, W] -> [N, OC, OH, OW]
Variable Conv2d::forward(const Variable& x) const {
  check(x.defined(), "Conv2d: the input is undefined");
  check(x.dim() == 4 && x.size(1) == in_channels,
        "Conv2d({}, {}): expected input [N, {}, H, W], got {}", in_channels, out_channels, in_channels, x.shape());
  return conv2d(x, weight, bias, options.stride, options.padding, options.dilation, options.groups);
}

std::string Conv2d::extra_repr() const {
  std::string s = fmt::format("{}, {}, kernel_size=({}, {}), stride=({}, {})", in_channels, out_channels,
                              kernel_size[0], kernel_size[1], options.stride[0], options.stride[1]);
  if (options.padding != Size2{0, 0}) s += fmt::format(", padding=({}, {})", options.padding[0], options.padding[1]);
  if (options.dilation != Size2{1, 1}) {
    s += fmt::format(", dilation=({}, {})", options.dilation[0], options.dilation[1]);
  }
  if (options.groups != 1) s += fmt::format(", groups={}", options.groups);
  if (!options.bias) s += ", bias=False";
  return s;
}

}  // namespace glimpse::nn
