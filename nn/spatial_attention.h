// nn::SpatialAttention: where-to-look attention over the positions of a feature map (the spatial half of CBAM, Woo et
// al., "CBAM: Convolutional Block Attention Module", 2018).
//
//   d[n, :, h, w] = [ mean_c x[n, c, h, w],  max_c x[n, c, h, w] ]      two descriptors per position  [N, 2, H, W]
//   m = sigmoid(conv(d))                     conv: Conv2d(2 -> 1, k x k, padding k / 2)            [N, 1, H, W]
//   y[n, c, h, w] = m[n, 0, h, w] * x[n, c, h, w]                       rescale every position
//
// The k x k convolution (k = 7 by default) lets the map at a position depend on its neighbourhood, so it marks
// regions, not single pixels. forward() returns the map too, for plotting it over the image.
//
//   nn::SpatialAttention sa;                       // kernel 7
//   auto [y, map] = sa.forward(x);                 // x: [B, C, H, W] -> y: [B, C, H, W], map: [B, 1, H, W]
#pragma once

#include <cstdint>
#include <string>

#include "nn/conv2d.h"
#include "nn/module.h"

namespace glimpse::nn {

struct SpatialAttentionOutput {
  Variable output;  // [N, C, H, W]
  Variable map;     // [N, 1, H, W], in (0, 1)
};

class SpatialAttention : public Module {
 public:
  explicit SpatialAttention(int64_t kernel_size = 7);

  // x: [N, C, H, W] -> output [N, C, H, W], map [N, 1, H, W]
  SpatialAttentionOutput forward(const Variable& x) const;

  std::string extra_repr() const override;  // "kernel_size=7"

  int64_t kernel_size;
  Conv2d conv;  // Conv2d(2, 1, kernel_size, padding = kernel_size / 2), parameters "conv.weight", "conv.bias"
};

}  // namespace glimpse::nn
