// nn::LayerNorm: normalises each sample over its last dims, then scales and shifts (torch.nn.LayerNorm).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "nn/module.h"

namespace glimpse::nn {

class LayerNorm : public Module {
 public:
  // normalized_shape: the trailing dims to normalise over ({C} for [B, T, C] activations). With elementwise_affine,
  // weight (ones) and bias (zeros) of that shape are learned, as in PyTorch; bias = false learns the weight alone
  // (PyTorch's LayerNorm(..., bias=False), what nanoGPT uses by default).
  explicit LayerNorm(const Shape& normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     bool bias = true);
  // So that LayerNorm ln({3, 4}) reads as PyTorch's LayerNorm((3, 4)) (a braced list would otherwise be ambiguous).
  explicit LayerNorm(std::initializer_list<int64_t> normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     bool bias = true)
      : LayerNorm(Shape(normalized_shape), eps, elementwise_affine, bias) {}

  // x: [*, *normalized_shape] -> [*, *normalized_shape]
  Variable forward(const Variable& x) const;

  std::string extra_repr() const override;  // "(4,), eps=1e-05, elementwise_affine=True" (", bias=False" without)

  Shape normalized_shape;
  double eps;
  bool elementwise_affine;
  Variable weight, bias;  // undefined without elementwise_affine; bias also undefined with bias = false
};

}  // namespace glimpse::nn
