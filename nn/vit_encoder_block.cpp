// nn::ViTEncoderBlock: LayerNorm, MultiheadAttention, residual; LayerNorm, MLP, residual.
#include "nn/vit_encoder_block.h"

#include <memory>

#include "autograd/ops_elementwise.h"
#include "nn/activation.h"
#include "nn/linear.h"

namespace glimpse::nn {

ViTEncoderBlock::ViTEncoderBlock(int64_t hidden_dim, int64_t num_heads, int64_t mlp_dim, double dropout)
    : Module("ViTEncoderBlock"),
      ln_1({hidden_dim}, 1e-6),  // torchvision's ViT uses eps 1e-6
      self_attention(hidden_dim, num_heads, {.dropout = dropout, .batch_first = true}),
      dropout(dropout),
      ln_2({hidden_dim}, 1e-6),
      mlp(std::make_unique<Linear>(hidden_dim, mlp_dim), std::make_unique<GELU>(), std::make_unique<Dropout>(dropout),
          std::make_unique<Linear>(mlp_dim, hidden_dim), std::make_unique<Dropout>(dropout)) {
  register_module("ln_1", ln_1);
  register_module("self_attention", self_attention);
  register_module("dropout", this->dropout);
  register_module("ln_2", ln_2);
  register_module("mlp", mlp);
}

// x: [B, T, D] -> [B, T, D], weights [B, heads, T, T]
AttentionOutput ViTEncoderBlock::forward(const Variable& x) const {
  check(x.defined() && x.dim() == 3 && x.size(2) == self_attention.embed_dim(),
        "ViTEncoderBlock: expected input [B, T, {}], got {}", self_attention.embed_dim(),
        x.defined() ? x.shape() : Shape{});
  Variable n1 = ln_1.forward(x);
  auto [attended, weights] = self_attention.forward(n1, n1, n1);
  Variable h = x + dropout.forward(attended);
  return {h + mlp.forward(ln_2.forward(h)), weights};
}

}  // namespace glimpse::nn
