// nn::NonLocalBlock: self-attention over all positions of a feature map (Wang et al., "Non-local Neural Networks",
// 2018, the embedded-Gaussian version, with the Transformer's 1/√d scale).
//
//   q = θ(x), k = φ(x), v = g(x)        1x1 convolutions C -> C'     each read as [N, H·W, C'] (one row per position)
//   a = softmax(q kᵀ / √C')             every position attends to every position            [N, H·W, H·W]
//   z = a v                             [N, H·W, C'] -> back to [N, C', H, W]
//   y = x + W(z)                        W: 1x1 convolution C' -> C, then the residual
//
// C' = inter_channels (C / 2 by default, at least 1). W starts at zero, as in the paper, so a new block is the
// identity and can be dropped into a trained network without disturbing it. The [H·W, H·W] attention is computed by
// nn::scaled_dot_product_attention, so its memory grows with (H·W)²: use it on small feature maps (7x7, 14x14).
//
//   nn::NonLocalBlock nl(32);
//   auto [y, weights] = nl.forward(x, /*need_weights=*/true);  // x: [B, 32, 7, 7] -> y: same, weights [B, 49, 49]
#pragma once

#include <cstdint>
#include <string>

#include "nn/conv2d.h"
#include "nn/module.h"

namespace glimpse::nn {

struct NonLocalOutput {
  Variable output;   // [N, C, H, W]
  Variable weights;  // [N, H·W, H·W] when asked for, else undefined
};

class NonLocalBlock : public Module {
 public:
  explicit NonLocalBlock(int64_t channels, int64_t inter_channels = 0);

  // x: [N, C, H, W] -> output [N, C, H, W], weights [N, H·W, H·W] (rows: the attending position, h * W + w)
  NonLocalOutput forward(const Variable& x, bool need_weights = false) const;

  std::string extra_repr() const override;  // "channels=32, inter_channels=16"

  int64_t channels, inter_channels;
  Conv2d theta, phi, g, W;
};

}  // namespace glimpse::nn
