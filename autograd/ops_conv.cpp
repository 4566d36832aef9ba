// Convolution and pooling: forwards on the tensor kernels (tensor/im2col.h, tensor/pool.h), backwards beside them.
//
// conv2d in matrices, image by image. With cols = im2col(x[i]) laid out as [groups, K, L] (K = (C / groups) * kh * kw,
// L = OH * OW) and the weight viewed as [groups, OC_g, K], the forward is one product per group,
//   y[i, g] = W[g] @ cols[g]                       [OC_g, K] @ [K, L] -> [OC_g, L], written straight into the output
// and the chain rule for a product gives the backward (g_y = dL/dy of image i in the same [groups, OC_g, L] layout):
//   dW[g]    += g_y[g] @ cols[g]ᵀ                  [OC_g, L] @ [L, K] -> [OC_g, K], summed over the images
//   dcols[g]  = W[g]ᵀ @ g_y[g]                     [K, OC_g] @ [OC_g, L] -> [K, L], then dx[i] = col2im(dcols)
// One image's columns (K x L floats, ~100 KB for MNIST's second layer) stay in cache between im2col and the GEMM, and
// the output needs no reordering: [OC, L] per image is already NCHW. (Lowering all N images into one [K, N*L] matrix
// was measured 2-3x slower: an 18 MB column matrix, and an [OC, N, L] -> [N, OC, L] copy each way.)
#include "autograd/ops_conv.h"

#include <vector>

#include "autograd/node.h"
#include "tensor/elementwise.h"
#include "tensor/im2col.h"
#include "tensor/matmul.h"
#include "tensor/pool.h"
#include "tensor/reduce.h"

namespace glimpse {
namespace {

// The common checks of a 2-d window: positive kernel, stride and dilation, non-negative padding, a non-empty output.
Window2d make_window(const char* op, const Shape& xshape, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation) {
  check(kernel[0] > 0 && kernel[1] > 0, "{}: kernel_size must be positive, got ({}, {})", op, kernel[0], kernel[1]);
  check(stride[0] > 0 && stride[1] > 0, "{}: stride must be positive, got ({}, {})", op, stride[0], stride[1]);
  check(padding[0] >= 0 && padding[1] >= 0, "{}: padding must be >= 0, got ({}, {})", op, padding[0], padding[1]);
  check(dilation[0] > 0 && dilation[1] > 0, "{}: dilation must be positive, got ({}, {})", op, dilation[0],
        dilation[1]);
  Window2d w{kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
  const int64_t oh = window_out_size(xshape[2], w.kh, w.sh, w.ph, w.dh);
  const int64_t ow = window_out_size(xshape[3], w.kw, w.sw, w.pw, w.dw);
  check(oh > 0 && ow > 0,
        "{}: input {} is too small for kernel ({}, {}) with padding ({}, {}) and dilation ({}, {}): the output would be "
        "{}x{}; pad the input or use a smaller kernel",
        op, xshape, w.kh, w.kw, w.ph, w.pw, w.dh, w.dw, oh, ow);
  return w;
}

void check_image(const Variable& x, const char* op) {
  check(x.defined(), "{}: the input is undefined", op);
  check(x.dim() == 4, "{}: expected an input of shape [N, C, H, W], got {}; add a batch dim with unsqueeze(0)", op,
        x.shape());
  check(is_floating(x.dtype()), "{}: input must be float32 or float64, got {}", op, dtype_name(x.dtype()));
}

Size2 default_stride(Size2 stride, Size2 kernel) { return stride[0] == 0 && stride[1] == 0 ? kernel : stride; }

}  // namespace

// x: [N, C, H, W], weight: [OC, C / groups, kh, kw], bias: [OC] -> [N, OC, OH, OW]
Variable conv2d(const Variable& x, const Variable& weight, const Variable& bias, Size2 stride, Size2 padding,
                Size2 dilation, int64_t groups) {
  check_image(x, "conv2d");
  check(weight.defined() && weight.dim() == 4, "conv2d: weight must have shape [OC, C / groups, kh, kw], got {}",
        weight.defined() ? weight.shape() : Shape{});
  check(x.dtype() == weight.dtype(), "conv2d: input is {} but weight is {}; convert one of them with .to()",
        dtype_name(x.dtype()), dtype_name(weight.dtype()));
  check(groups > 0, "conv2d: groups must be positive, got {}", groups);
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), oc = weight.size(0);
  check(c % groups == 0 && oc % groups == 0,
        "conv2d: channels must divide by groups: input has {} channels and weight {} output channels, groups={}", c,
        oc, groups);
  check(weight.size(1) * groups == c,
        "conv2d: input {} has {} channels but weight {} with groups={} expects {} (= weight.size(1) * groups)",
        x.shape(), c, weight.shape(), groups, weight.size(1) * groups);
  if (bias.defined()) {
    check(bias.dim() == 1 && bias.size(0) == oc, "conv2d: bias must have shape [{}], got {}", oc, bias.shape());
  }
  const Window2d w = make_window("conv2d", x.shape(), {weight.size(2), weight.size(3)}, stride, padding, dilation);
  const int64_t oh = window_out_size(h, w.kh, w.sh, w.ph, w.dh), ow = window_out_size(wd, w.kw, w.sw, w.pw, w.dw);
  const int64_t k = weight.size(1) * w.kh * w.kw, ocg = oc / groups, l = oh * ow;

  const Tensor xc = x.data().contiguous(), wmat = weight.data().contiguous().view({groups, ocg, k});
  Tensor out = empty({n, oc, oh, ow}, x.dtype());
  if (bias.defined()) {
    out.copy_(bias.data().view({1, oc, 1, 1}));  // the products below add onto the bias (beta = 1)
  }
  for (int64_t i = 0; i < n; ++i) {
    const Tensor cols = im2col(xc.narrow(0, i, 1), w).view({groups, k, l});
    for (int64_t g = 0; g < groups; ++g) {
      Tensor y = out.select(0, i).narrow(0, g * ocg, ocg).view({ocg, l});  // contiguous rows of image i
      matmul_into(y, wmat.select(0, g), cols.select(0, g), bias.defined() ? 1.0 : 0.0);
    }
  }

  const bool has_bias = bias.defined(), need_x = x.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = has_bias && bias.requires_grad();
  // dW needs the input (its columns are rebuilt image by image, cheaper than keeping N images' columns alive); dx
  // needs the weight.
  Tensor x_saved = need_w ? xc : Tensor(), w_saved = need_x ? wmat : Tensor();
  std::vector<Variable> inputs{x, weight};
  if (has_bias) inputs.push_back(bias);
  return record("conv2d", out, inputs, saved(x_saved, w_saved), [=, wshape = weight.shape()](const Tensor& grad) -> Grads {
    const Tensor g = grad.contiguous();  // [N, OC, OH, OW]
    Grads grads(has_bias ? 3 : 2);
    Tensor dx = need_x ? zeros({n, c, h, wd}, g.dtype()) : Tensor();
    Tensor dw = need_w ? empty({groups, ocg, k}, g.dtype()) : Tensor();
    for (int64_t i = 0; i < n; ++i) {
      const Tensor gi = g.select(0, i).view({groups, ocg, l});
      if (need_x) {
        // dcols = Wᵀ g per group, then every column entry back to its pixel
        col2im_add(matmul(w_saved.transpose(-1, -2), gi).view({groups * k, l}), dx.narrow(0, i, 1), w);
      }
      if (need_w) {
        const Tensor cols = im2col(x_saved.narrow(0, i, 1), w).view({groups, k, l});
        for (int64_t gr = 0; gr < groups; ++gr) {
          Tensor dwg = dw.select(0, gr);
          matmul_into(dwg, gi.select(0, gr), cols.select(0, gr).t(), i == 0 ? 0.0 : 1.0);  // summed over images
        }
      }
    }
    if (need_x) grads[0] = dx;
    if (need_w) grads[1] = dw.view(wshape);
    if (need_b) grads[2] = sum(g, {0, 2, 3});
    return grads;
  });
}

// x: [N, C, H, W] -> [N, C, OH, OW]
Variable max_pool2d(const Variable& x, Size2 kernel_size, Size2 stride, Size2 padding, Size2 dilation) {
  check_image(x, "max_pool2d");
  const Window2d w =
      make_window("max_pool2d", x.shape(), kernel_size, default_stride(stride, kernel_size), padding, dilation);
  check(2 * w.ph <= w.kh && 2 * w.pw <= w.kw, "max_pool2d: padding ({}, {}) must be at most half the kernel ({}, {})",
        w.ph, w.pw, w.kh, w.kw);
  MaxPoolResult r = max_pool2d(x.data(), w);
  const int64_t h = x.size(2), wd = x.size(3);
  return record("max_pool2d", r.values, {x}, saved(), [indices = r.indices, h, wd](const Tensor& g) -> Grads {
    return {max_pool2d_backward(g, indices, h, wd)};
  });
}

// x: [N, C, H, W] -> [N, C, OH, OW]
Variable avg_pool2d(const Variable& x, Size2 kernel_size, Size2 stride, Size2 padding, bool count_include_pad) {
  check_image(x, "avg_pool2d");
  const Window2d w =
      make_window("avg_pool2d", x.shape(), kernel_size, default_stride(stride, kernel_size), padding, {1, 1});
  check(2 * w.ph <= w.kh && 2 * w.pw <= w.kw, "avg_pool2d: padding ({}, {}) must be at most half the kernel ({}, {})",
        w.ph, w.pw, w.kh, w.kw);
  Tensor y = avg_pool2d(x.data(), w, count_include_pad);
  const int64_t h = x.size(2), wd = x.size(3);
  return record("avg_pool2d", y, {x}, [w, count_include_pad, h, wd](const Tensor& g) -> Grads {
    return {avg_pool2d_backward(g, w, count_include_pad, h, wd)};
  });
}

// x: [N, C, H, W] -> [N, C, OH, OW]
Variable adaptive_avg_pool2d(const Variable& x, Size2 output_size) {
  check_image(x, "adaptive_avg_pool2d");
  check(output_size[0] > 0 && output_size[1] > 0, "adaptive_avg_pool2d: output_size must be positive, got ({}, {})",
        output_size[0], output_size[1]);
  check(x.size(2) > 0 && x.size(3) > 0, "adaptive_avg_pool2d: input {} has an empty image", x.shape());
  Tensor y = adaptive_avg_pool2d(x.data(), output_size[0], output_size[1]);
  const int64_t h = x.size(2), wd = x.size(3);
  return record("adaptive_avg_pool2d", y, {x},
                [h, wd](const Tensor& g) -> Grads { return {adaptive_avg_pool2d_backward(g, h, wd)}; });
}

}  // namespace glimpse
