// nn::VisionTransformer: patch embedding by a strided convolution, class token, learned positions, encoder blocks,
// final LayerNorm and a linear head on the class token.
#include "nn/vision_transformer.h"

#include <memory>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_shape.h"
#include "nn/init.h"

namespace glimpse::nn {
namespace {
const VisionTransformerOptions& checked(const VisionTransformerOptions& o) {
  check(o.image_size > 0 && o.patch_size > 0 && o.image_size % o.patch_size == 0,
        "VisionTransformer: patch_size {} must divide image_size {}", o.patch_size, o.image_size);
  check(o.num_layers >= 0 && o.hidden_dim > 0 && o.num_heads > 0 && o.hidden_dim % o.num_heads == 0,
        "VisionTransformer: hidden_dim {} must be divisible by num_heads {}", o.hidden_dim, o.num_heads);
  return o;
}
}  // namespace

VisionTransformer::VisionTransformer(const VisionTransformerOptions& options)
    : Module("VisionTransformer"),
      options(checked(options)),
      conv_proj(options.in_channels, options.hidden_dim, {options.patch_size, options.patch_size},
                {.stride = {options.patch_size, options.patch_size}}),
      dropout(options.dropout),
      ln({options.hidden_dim}, 1e-6),
      head(options.hidden_dim, options.num_classes),
      grid_(options.image_size / options.patch_size) {
  register_module("conv_proj", conv_proj);
  class_token = register_parameter("class_token", zeros({1, 1, options.hidden_dim}));
  pos_embedding = register_parameter("pos_embedding", empty({1, 1 + num_patches(), options.hidden_dim}));
  init::normal_(pos_embedding, 0.0, 0.02);
  register_module("dropout", dropout);
  register_module("layers", layers);
  for (int64_t i = 0; i < options.num_layers; ++i) {
    layers.push_back(std::make_unique<ViTEncoderBlock>(options.hidden_dim, options.num_heads, options.mlp_dim,
                                                       options.dropout));
  }
  register_module("ln", ln);
  register_module("head", head);
}

// x: [B, C, S, S] -> logits [B, classes]
VisionTransformerOutput VisionTransformer::forward(const Variable& x, bool need_weights) const {
  const int64_t s = options.image_size, d = options.hidden_dim;
  check(x.defined() && x.dim() == 4 && x.size(1) == options.in_channels && x.size(2) == s && x.size(3) == s,
        "VisionTransformer: expected images [B, {}, {}, {}], got {}", options.in_channels, s, s,
        x.defined() ? x.shape() : Shape{});
  const int64_t b = x.size(0);
  Variable patches = conv_proj.forward(x).flatten(2).transpose(1, 2);               // [B, N, D]
  Variable tokens = cat({class_token.expand({b, 1, d}), patches}, 1) + pos_embedding;  // [B, 1 + N, D]
  Variable z = dropout.forward(tokens);
  VisionTransformerOutput out;
  for (const ViTEncoderBlock& block : layers) {
    auto [next, weights] = block.forward(z);
    z = next;
    if (need_weights) out.weights.push_back(weights);
  }
  out.logits = head.forward(ln.forward(z).select(1, 0));  // the class token
  return out;
}

std::string VisionTransformer::extra_repr() const {
  return fmt::format("image_size={}, patch_size={}, num_patches={}", options.image_size, options.patch_size,
                     num_patches());
}

}  // namespace glimpse::nn
