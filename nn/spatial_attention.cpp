// nn::SpatialAttention: channel mean and max, one small convolution, a sigmoid, and a broadcast multiply.
#include "nn/spatial_attention.h"

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"

namespace glimpse::nn {

SpatialAttention::SpatialAttention(int64_t kernel_size)
    : Module("SpatialAttention"),
      kernel_size(kernel_size),
      conv(2, 1, {kernel_size, kernel_size}, {.padding = {kernel_size / 2, kernel_size / 2}}) {
  // An even kernel with padding k/2 would grow the map by one pixel and break the multiply below.
  check(kernel_size > 0 && kernel_size % 2 == 1, "SpatialAttention: kernel_size must be odd and positive, got {}",
        kernel_size);
  register_module("conv", conv);
}

// x: [N, C, H, W] -> output [N, C, H, W], map [N, 1, H, W]
SpatialAttentionOutput SpatialAttention::forward(const Variable& x) const {
  check(x.defined() && x.dim() == 4, "SpatialAttention: expected input [N, C, H, W], got {}",
        x.defined() ? x.shape() : Shape{});
  Variable d = cat({mean(x, {1}, /*keepdim=*/true), amax(x, {1}, /*keepdim=*/true)}, 1);  // [N, 2, H, W]
  Variable map = sigmoid(conv.forward(d));
  return {x * map, map};
}

std::string SpatialAttention::extra_repr() const { return fmt::format("kernel_size={}", kernel_size); }

}  // namespace glimpse::nn
