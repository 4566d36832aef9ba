// Loss modules (torch.nn.MSELoss, CrossEntropyLoss, NLLLoss, BCEWithLogitsLoss): each holds its settings and calls
// the differentiable function of the same meaning in autograd/ops_loss.h, where the math and its shapes are described.
//
//   nn::CrossEntropyLoss criterion({.ignore_index = pad_id, .label_smoothing = 0.1});
//   Variable loss = criterion.forward(logits, targets);   // logits: [N, C], targets: [N] int64 -> []
#pragma once

#include <string>

#include "autograd/ops_loss.h"
#include "nn/module.h"

namespace glimpse::nn {

// (input - target)², reduced by "mean" (default), "sum" or "none".
class MSELoss : public Module {
 public:
  explicit MSELoss(std::string reduction = "mean");
  // input, target: [*] (same shape) -> [] (or [*] with "none")
  Variable forward(const Variable& input, const Variable& target) const;
  std::string extra_repr() const override;  // "" for the default reduction, else "reduction='sum'"
  std::string reduction;
};

// Softmax cross-entropy from logits and int64 class indices.
class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {});
  // logits: [N, C] (or [N, C, d1, ...], or [C]), target: [N] (or [N, d1, ...], or []) int64 -> [] (or per element)
  Variable forward(const Variable& logits, const Tensor& target) const;
  std::string extra_repr() const override;
  CrossEntropyOptions options;
};

// Negative log-likelihood of log-probabilities (the output of log_softmax) and int64 class indices.
class NLLLoss : public Module {
 public:
  explicit NLLLoss(NLLLossOptions options = {});
  // log_probs: [N, C] (or [N, C, d1, ...], or [C]), target: [N] (or [N, d1, ...], or []) -> [] (or per element)
  Variable forward(const Variable& log_probs, const Tensor& target) const;
  std::string extra_repr() const override;
  NLLLossOptions options;
};

// Binary cross-entropy on logits (the sigmoid folded in, stable for any logit). pos_weight, if given, weighs the
// positive examples (typically [C], one weight per class) and is saved with the state as a buffer, as in PyTorch.
class BCEWithLogitsLoss : public Module {
 public:
  explicit BCEWithLogitsLoss(std::string reduction = "mean", const Tensor& pos_weight = Tensor());
  // logits, target: [*] (same shape, target in [0, 1]) -> [] (or [*] with "none")
  Variable forward(const Variable& logits, const Tensor& target) const;
  std::string extra_repr() const override;
  // The registered buffer (looked up, so it follows to(dtype) and load_state_dict), or undefined when not given.
  Tensor pos_weight() const;
  std::string reduction;
};

}  // namespace glimpse::nn
