// nn::ViTEncoderBlock: one pre-norm Transformer encoder block of the Vision Transformer (Dosovitskiy et al., 2021),
// with torchvision's parameter names.
//
//   h = x + dropout(MHA(LN1(x)))                   self-attention over the tokens (patches and the class token)
//   y = h + MLP(LN2(h)),  MLP = Linear(D -> mlp_dim), GELU, Dropout, Linear(mlp_dim -> D), Dropout
//
// Children: ln_1, self_attention (nn::MultiheadAttention, batch_first), ln_2, mlp (a Sequential, so its Linear
// layers are "mlp.0" and "mlp.3" as in torchvision's MLPBlock).
#pragma once

#include <cstdint>
#include <string>

#include "nn/dropout.h"
#include "nn/layer_norm.h"
#include "nn/module.h"
#include "nn/multihead_attention.h"
#include "nn/sequential.h"

namespace glimpse::nn {

class ViTEncoderBlock : public Module {
 public:
  ViTEncoderBlock(int64_t hidden_dim, int64_t num_heads, int64_t mlp_dim, double dropout = 0.0);

  // x: [B, T, D] -> output [B, T, D], weights [B, heads, T, T] (the self-attention's)
  AttentionOutput forward(const Variable& x) const;

  LayerNorm ln_1;
  MultiheadAttention self_attention;
  Dropout dropout;
  LayerNorm ln_2;
  Sequential mlp;
};

}  // namespace glimpse::nn
