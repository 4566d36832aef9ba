// nn::SqueezeExcitation: global average pool, two Linear layers, a sigmoid, and a broadcast multiply.
#include "nn/squeeze_excitation.h"

#include <algorithm>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"

namespace glimpse::nn {

SqueezeExcitation::SqueezeExcitation(int64_t channels, int64_t ratio)
    : Module("SqueezeExcitation"),
      channels(channels),
      squeeze(ratio > 0 ? std::max<int64_t>(1, channels / ratio) : 1),
      fc1(channels, squeeze),
      fc2(squeeze, channels) {
  check(channels > 0 && ratio > 0, "SqueezeExcitation: channels and ratio must be positive, got {} and {}", channels,
        ratio);
  register_module("fc1", fc1);
  register_module("fc2", fc2);
}

// x: [N, C, H, W] -> [N, C]
Variable SqueezeExcitation::channel_weights(const Variable& x) const {
  check(x.defined() && x.dim() == 4 && x.size(1) == channels,
        "SqueezeExcitation(channels={}): expected input [N, {}, H, W], got {}", channels, channels,
        x.defined() ? x.shape() : Shape{});
  Variable s = mean(x, {2, 3});  // squeeze
  return sigmoid(fc2.forward(relu(fc1.forward(s))));
}

// x: [N, C, H, W] -> [N, C, H, W]
Variable SqueezeExcitation::forward(const Variable& x) const {
  Variable a = channel_weights(x);
  return x * a.view({x.size(0), channels, 1, 1});
}

std::string SqueezeExcitation::extra_repr() const { return fmt::format("channels={}, squeeze={}", channels, squeeze); }

}  // namespace glimpse::nn
