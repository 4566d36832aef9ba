// Differentiable convolution and pooling on NCHW images (torch.nn.functional's conv2d, max_pool2d, avg_pool2d,
// adaptive_avg_pool2d), each forward beside its backward in ops_conv.cpp.
//
// Sizes are (height, width) pairs; PyTorch's single int is {k, k}. Output size along each dim, PyTorch's formula:
//   out = floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1
// An empty output (out <= 0) is an Error naming the sizes, never an empty tensor.
#pragma once

#include <array>
#include <cstdint>

#include "autograd/variable.h"

namespace glimpse {

using Size2 = std::array<int64_t, 2>;  // (height, width)

// x: [N, C, H, W], weight: [OC, C / groups, kh, kw], bias: [OC] or undefined -> [N, OC, OH, OW]
// Lowered to one GEMM per group on im2col columns (tensor/im2col.h):
//   out_g[OC/groups, N*OH*OW] = weight_g[OC/groups, K] @ cols_g[K, N*OH*OW],  K = (C / groups) * kh * kw
// Backward: d weight_g = g_g @ cols_gᵀ, d cols_g = weight_gᵀ @ g_g then col2im, d bias = g summed over N, OH, OW.
Variable conv2d(const Variable& x, const Variable& weight, const Variable& bias = Variable(), Size2 stride = {1, 1},
                Size2 padding = {0, 0}, Size2 dilation = {1, 1}, int64_t groups = 1);

// x: [N, C, H, W] -> [N, C, OH, OW]. stride {0, 0} means "= kernel_size" (PyTorch's stride=None). Padding is -inf.
// The gradient goes to the first maximum of each window.
Variable max_pool2d(const Variable& x, Size2 kernel_size, Size2 stride = {0, 0}, Size2 padding = {0, 0},
                    Size2 dilation = {1, 1});

// x: [N, C, H, W] -> [N, C, OH, OW]. Padding is 0; count_include_pad divides by the whole window (PyTorch's default).
Variable avg_pool2d(const Variable& x, Size2 kernel_size, Size2 stride = {0, 0}, Size2 padding = {0, 0},
                    bool count_include_pad = true);

// x: [N, C, H, W] -> [N, C, output_size[0], output_size[1]] (windows as PyTorch's, see tensor/pool.h).
Variable adaptive_avg_pool2d(const Variable& x, Size2 output_size);

}  // namespace glimpse
