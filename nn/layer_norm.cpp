// nn::LayerNorm: the parameters and settings; the math (a fused forward/backward) is autograd's layer_norm.
#include "nn/layer_norm.h"

#include <cmath>

#include "autograd/ops_loss.h"

namespace glimpse::nn {

LayerNorm::LayerNorm(const Shape& normalized_shape, double eps, bool elementwise_affine, bool bias)
    : Module("LayerNorm"), normalized_shape(normalized_shape), eps(eps), elementwise_affine(elementwise_affine) {
  check(!normalized_shape.empty(), "LayerNorm: normalized_shape is empty; pass the trailing dims, e.g. {{C}}");
  for (int64_t s : normalized_shape) {
    check(s >= 0, "LayerNorm: normalized_shape {} has a negative size", normalized_shape);
  }
  check(std::isfinite(eps) && eps >= 0, "LayerNorm: eps must be finite and >= 0, got {}", eps);
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    if (bias) this->bias = register_parameter("bias", zeros(normalized_shape));
  }
}

// x: [*, *S] -> [*, *S]
Variable LayerNorm::forward(const Variable& x) const {
  check(x.defined(), "LayerNorm: the input is undefined");
  const int n = normalized_shape.size();
  bool fits = x.dim() >= n;
  for (int i = 0; fits && i < n; ++i) fits = x.size(x.dim() - n + i) == normalized_shape[i];
  check(fits, "LayerNorm: input of shape {} does not end in normalized_shape {}", x.shape(), normalized_shape);
  return layer_norm(x, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  // normalized_shape as a Python tuple, the way PyTorch prints it: (4,) or (3, 4).
  std::string shape = normalized_shape.size() == 1 ? fmt::format("({},)", normalized_shape[0])
                                                   : fmt::format("({})", fmt::join(normalized_shape, ", "));
  return fmt::format("{}, eps={}, elementwise_affine={}{}", shape, eps, elementwise_affine ? "True" : "False",
                     elementwise_affine && !bias.defined() ? ", bias=False" : "");
}

}  // namespace glimpse::nn
