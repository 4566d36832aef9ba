// Pooling kernels on [N, C, H, W] tensors: max, average and adaptive average, forward and backward.
//
// Each plane (one image, one channel) is pooled on its own, so the loops split over N * C planes across threads.
// Windows are described by Window2d (tensor/im2col.h); padding counts as -inf for max and as 0 for average.
#pragma once

#include "tensor/im2col.h"
#include "tensor/tensor.h"

namespace glimpse {

struct MaxPoolResult {
  Tensor values;   // [N, C, OH, OW]
  Tensor indices;  // [N, C, OH, OW] int64: position iy * W + ix of each maximum in its input plane (PyTorch's)
};

// x: [N, C, H, W] -> values, indices [N, C, OH, OW]. Ties keep the first maximum in row-major order; NaN wins.
MaxPoolResult max_pool2d(const Tensor& x, const Window2d& w);
// grad: [N, C, OH, OW], indices from max_pool2d -> [N, C, H, W]: each gradient goes to its window's maximum.
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices, int64_t h, int64_t width);

// x: [N, C, H, W] -> [N, C, OH, OW] (no dilation). count_include_pad: divide by the full window (PyTorch's default)
// or only by the in-image part of it.
Tensor avg_pool2d(const Tensor& x, const Window2d& w, bool count_include_pad);
// grad: [N, C, OH, OW] -> [N, C, H, W]
Tensor avg_pool2d_backward(const Tensor& grad, const Window2d& w, bool count_include_pad, int64_t h, int64_t width);

// x: [N, C, H, W] -> [N, C, OH, OW]; output cell (i, j) averages rows [floor(i H / OH), ceil((i + 1) H / OH)) and the
// same for columns, PyTorch's adaptive windows (they may overlap when H is not a multiple of OH).
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t oh, int64_t ow);
// grad: [N, C, OH, OW] -> [N, C, H, W]
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, int64_t h, int64_t width);

}  // namespace glimpse
