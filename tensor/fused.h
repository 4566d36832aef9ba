// Fused kernels: ops whose naive composition would walk memory many times, done in one or two passes per row.
//
// LayerNorm and cross-entropy are the two places where a small model spends its time moving bytes rather than doing
// arithmetic: composed from elementwise and reduction ops, LayerNorm reads its input ~6 times and allocates ~5
// temporaries; cross-entropy over a 50k vocabulary would materialise log_softmax, a one-hot and their product. Here each
// row is read once into cache and finished there. These are raw kernels on Tensors (no gradients); the differentiable
// wrappers live in autograd/ops_loss.h. float32 and float64. Inputs that are not contiguous are packed once first.
// The kernels: fused_layer_norm.cpp (LayerNorm) and fused_loss.cpp (cross-entropy, NLL, binary cross-entropy).
#pragma once

#include "tensor/tensor.h"

namespace glimpse {

// ---- LayerNorm over the last dims (those of `normalized_shape`), with an optional elementwise affine:
//   y = (x - mean) * rstd * weight + bias,   rstd = 1 / sqrt(var + eps),   var is the biased variance (divide by N)

struct LayerNormForward {
  Tensor y;     // x's shape
  Tensor mean;  // x's leading dims (x's shape without normalized_shape), saved for backward
  Tensor rstd;  // same shape as mean
};

// x: [*, *normalized_shape], weight/bias: normalized_shape or undefined -> y: [*, *normalized_shape], mean/rstd: [*]
LayerNormForward layer_norm_forward(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                                    const Tensor& bias, double eps = 1e-5);

struct LayerNormBackward {
  Tensor dx;       // x's shape
  Tensor dweight;  // normalized_shape: sum over rows of g * xhat (undefined unless asked for)
  Tensor dbias;    // normalized_shape: sum over rows of g          (undefined unless asked for)
};

// Which gradients layer_norm_backward should compute (skipping the affine ones saves two accumulations per element).
struct LayerNormGradMask {
  bool dx = true;
  bool dweight = true;
  bool dbias = true;
};

// With xhat = (x - mean) * rstd and gw = g * weight (weight = 1 when undefined), over each row of N normalised elements:
//   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
// grad, x: [*, *normalized_shape], mean/rstd from layer_norm_forward, weight: normalized_shape or undefined
LayerNormBackward layer_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                                      const Tensor& weight, const LayerNormGradMask& mask = {});

// ---- cross-entropy from logits, with ignore_index and label smoothing (PyTorch's definitions)
//   lse = log(sum_c exp(logits[c]))                          (stable: the row max is subtracted first)
//   loss = (1 - eps) * (lse - logits[t]) + eps * mean_c(lse - logits[c])
// A row whose target equals ignore_index gets loss 0 and does not count in num_valid.

struct CrossEntropyForward {
  Tensor loss;          // [N], 0 for ignored rows
  Tensor lse;           // [N], the log-sum-exp of each row, saved so backward can rebuild softmax = exp(x - lse)
  int64_t num_valid{};  // rows whose target is not ignore_index (the divisor of reduction "mean")
};

// logits: [N, C] float, target: [N] int64 -> loss [N], lse [N]. A target outside [0, C) that is not ignore_index throws.
CrossEntropyForward cross_entropy_forward(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100,
                                          double label_smoothing = 0.0);

// dlogits = (softmax(logits) - q) * grad[row], q = (1 - eps) * onehot(t) + eps / C; rows with ignore_index get 0.
// The softmax is recomputed from the saved lse rather than kept from the forward: keeping it would hold a second
// [N, C] buffer (for a GPT's vocabulary, as large as the logits) for the whole backward, while recomputing costs one
// exp per element in a pass that reads the logits anyway.
// grad: [N] or 0-d (one value for every row), logits: [N, C], target: [N], lse: [N] -> dlogits [N, C]
Tensor cross_entropy_backward(const Tensor& grad, const Tensor& logits, const Tensor& target, const Tensor& lse,
                              int64_t ignore_index = -100, double label_smoothing = 0.0);

// ---- negative log-likelihood on log-probabilities: loss = -log_probs[t], 0 for rows with ignore_index
// log_probs: [N, C], target: [N] int64 -> loss [N], num_valid as in cross-entropy
struct NllLossForward {
  Tensor loss;
  int64_t num_valid{};
};
NllLossForward nll_loss_forward(const Tensor& log_probs, const Tensor& target, int64_t ignore_index = -100);
// dlog_probs[i, t_i] = -grad[i] (0 elsewhere and on ignored rows).
// grad: [N] or 0-d, target: [N] -> [N, C] with the dtype of grad
Tensor nll_loss_backward(const Tensor& grad, const Tensor& target, int64_t num_classes, int64_t ignore_index = -100);

// ---- mean squared error after the subtraction: the mean (or sum) of diff² in one pass, without the tensor of squares.
// diff: [*] float -> []; the same bits as mean(square(diff)) (or sum(square(diff))).
Tensor squared_error_reduce(const Tensor& diff, bool mean);

// ---- binary cross-entropy on logits, stable for any magnitude of x:
//   loss = (1 - t) * x + w * softplus(-x),  w = 1 + (pos_weight - 1) * t,  softplus(-x) = max(-x, 0) + log1p(e^-|x|)
// (with pos_weight = 1 this is PyTorch's max(x, 0) - x * t + log(1 + e^-|x|)).
// x, t: [*] (same shape), pos_weight: broadcasts to [*] or undefined -> [*]
Tensor binary_cross_entropy_with_logits_forward(const Tensor& x, const Tensor& t, const Tensor& pos_weight = Tensor());
// d loss / dx = (1 - t) + w * (sigmoid(x) - 1), times grad. grad: [*] or 0-d -> [*]
Tensor binary_cross_entropy_with_logits_backward(const Tensor& grad, const Tensor& x, const Tensor& t,
                                                 const Tensor& pos_weight = Tensor());

}  // namespace glimpse
