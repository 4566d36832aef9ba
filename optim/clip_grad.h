// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
#pragma once

#include <limits>
#include <vector>

#include "autograd/variable.h"

namespace glimpse::optim {

// Scales all gradients together so that their joint p-norm is at most max_norm (p = inf: the largest |g|). Returns
// the norm before clipping. Parameters without a gradient are ignored. The scale is max_norm / (norm + 1e-6),
// applied only when below 1.
double clip_grad_norm_(const std::vector<Variable>& params, double max_norm, double norm_type = 2.0);
// The joint p-norm of all gradients (the first half of clip_grad_norm_), summed in double per fixed chunk and then
// chunk by chunk in parameter order (optim/chunks.h): the same bits on any thread count.
double grad_norm(const std::vector<Variable>& params, double norm_type = 2.0);
// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Variable>& params, double clip_value);

inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

}  // namespace glimpse::optim
