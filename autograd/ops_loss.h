// Differentiable losses and layer normalisation, with PyTorch's names, argument order and numerical definitions.
//
//   Variable loss = cross_entropy(logits, targets);                                  // mean over the batch
//   Variable loss = cross_entropy(logits, targets, {.ignore_index = pad_id, .label_smoothing = 0.1});
//   Variable y = layer_norm(x, {768}, weight, bias);                                 // over the last dim
//
// The heavy lifting is in the fused kernels of tensor/fused.h; each function here checks its arguments, reshapes,
// reduces, and records a backward closure (ops_loss.cpp).
//
// reduction: "mean" (the default; for cross_entropy/nll_loss the mean over rows whose target is not ignore_index),
// "sum", or "none" (one loss per element, in the target's shape).
#pragma once

#include <cstdint>
#include <string>

#include "autograd/variable.h"

namespace glimpse {

struct CrossEntropyOptions {
  std::string reduction = "mean";
  int64_t ignore_index = -100;   // rows with this target contribute no loss and no gradient, and are not counted
  double label_smoothing = 0.0;  // eps: the target becomes (1 - eps) * onehot + eps / C
};

struct NLLLossOptions {
  std::string reduction = "mean";
  int64_t ignore_index = -100;
};

// Softmax cross-entropy from unnormalised logits and int64 class indices (PyTorch's F.cross_entropy):
//   logits [N, C], target [N]              -> [] (or [N] with reduction "none")
//   logits [N, C, d1, ...], target [N, d1, ...] -> [] (or [N, d1, ...]); C is the class dim, as in PyTorch
//   logits [C], target []                   -> []
// loss = (1 - eps) * (logsumexp(x) - x[t]) + eps * mean_c(logsumexp(x) - x[c]); gradient flows to the logits.
Variable cross_entropy(const Variable& logits, const Tensor& target, const CrossEntropyOptions& options = {});

// Negative log-likelihood of log-probabilities (e.g. from log_softmax): loss = -log_probs[t]. Shapes as cross_entropy.
Variable nll_loss(const Variable& log_probs, const Tensor& target, const NLLLossOptions& options = {});

// Mean squared error: (input - target)², reduced. input and target must have the same shape (no silent broadcast of
// an [N, 1] prediction against an [N] target); gradients flow to both if they require them. [*], [*] -> [] or [*]
Variable mse_loss(const Variable& input, const Variable& target, const std::string& reduction = "mean");

// Binary cross-entropy on logits (sigmoid folded in, stable for any |x|):
//   loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * log(1 + e^-x)
// target: same shape as logits (float, values in [0, 1]); pos_weight: undefined, or broadcasts to logits (typically
// [C], one weight per class for the positive examples). Gradient flows to the logits. [*], [*] -> [] or [*]
Variable binary_cross_entropy_with_logits(const Variable& logits, const Tensor& target,
                                          const std::string& reduction = "mean", const Tensor& pos_weight = Tensor());

// Layer normalisation over the last dims (PyTorch's F.layer_norm): y = (x - mean) / sqrt(var + eps) * weight + bias,
// mean and the biased var taken over the normalized_shape dims. weight/bias are optional (pass Variable()).
// x: [*, *normalized_shape], weight/bias: normalized_shape -> [*, *normalized_shape]
Variable layer_norm(const Variable& x, const Shape& normalized_shape, const Variable& weight = Variable(),
                    const Variable& bias = Variable(), double eps = 1e-5);

}  // namespace glimpse
