// nn::SqueezeExcitation: channel attention (Hu et al., "Squeeze-and-Excitation Networks", 2018).
//
//   s = mean_{h,w} x[n, :, h, w]                          squeeze: one number per channel      [N, C]
//   a = sigmoid(fc2(relu(fc1(s))))                        excite: a weight in (0, 1) per channel [N, C]
//   y[n, c, h, w] = a[n, c] * x[n, c, h, w]               rescale the channels
//
// fc1: Linear(C -> C / ratio), fc2: Linear(C / ratio -> C) (at least one hidden unit). The block learns which
// feature maps matter for this particular image, from a global summary of all of them, at the cost of two tiny
// matrix products.
//
//   nn::SqueezeExcitation se(32, 8);
//   Variable y = se.forward(x);           // x: [B, 32, H, W] -> [B, 32, H, W]
//   Tensor a = se.channel_weights(x);     // [B, 32], for plotting
#pragma once

#include <cstdint>
#include <string>

#include "nn/linear.h"
#include "nn/module.h"

namespace glimpse::nn {

class SqueezeExcitation : public Module {
 public:
  SqueezeExcitation(int64_t channels, int64_t ratio = 16);

  // x: [N, C, H, W] -> [N, C, H, W]
  Variable forward(const Variable& x) const;
  // x: [N, C, H, W] -> a: [N, C], the channel weights forward() multiplies by
  Variable channel_weights(const Variable& x) const;

  std::string extra_repr() const override;  // "channels=32, squeeze=4"

  int64_t channels, squeeze;
  Linear fc1, fc2;
};

}  // namespace glimpse::nn
