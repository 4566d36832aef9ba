// im2col / col2im: the lowering that turns a 2-d convolution into one matrix product (GEMM).
//
// A convolution output pixel is a dot product between the kernel and the [C, kh, kw] patch of the input under it. If
// every patch is copied out as one column of a matrix, all output pixels of all images are a single product
//   out[OC, N * OH * OW] = weight[OC, C * kh * kw] @ cols[C * kh * kw, N * OH * OW]
// which OpenBLAS runs at full speed. im2col builds `cols`; col2im is its adjoint (it adds every column entry back to
// the input pixel it was copied from), which is what the gradient with respect to the input needs (col2im_add).
//
// Layout of cols: row r = (c * kh + i) * kw + j (channel c, kernel row i, kernel column j), column q = (n * OH + oh) *
// OW + ow. Rows of one channel are contiguous, so with groups the rows of group g are the block [g * K, (g + 1) * K)
// for K = (C / groups) * kh * kw, and cols reshapes to [groups, K, N * OH * OW] without a copy.
// Entries whose input position falls into the zero padding are 0.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace glimpse {

// Kernel size, stride, padding and dilation of a 2-d window (height first, as PyTorch's pairs).
struct Window2d {
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t ph = 0, pw = 0;
  int64_t dh = 1, dw = 1;
};

// The output size along one dim: floor((in + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1, PyTorch's formula.
// It may be <= 0; callers turn that into an Error naming their own call.
inline int64_t window_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// x: [N, C, H, W] (float32/float64, any strides) -> cols [C * kh * kw, N * OH * OW] (contiguous)
Tensor im2col(const Tensor& x, const Window2d& w);

// cols: [C * kh * kw, N * OH * OW] added into x: [N, C, H, W] (contiguous, same dtype): every entry added back to the
// input pixel im2col took it from. Adding in place lets the conv backward write each image's gradient where it
// belongs, with no zeroed temporary and no copy.
void col2im_add(const Tensor& cols, const Tensor& x, const Window2d& w);

}  // namespace glimpse
