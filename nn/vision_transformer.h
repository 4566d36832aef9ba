// nn::VisionTransformer: an image classifier that reads the image as a sequence of patches (Dosovitskiy et al., "An
// Image is Worth 16x16 Words", 2021), with torchvision's parameter names where they exist.
//
//   p = conv_proj(x)                 patch embedding: Conv2d(C -> D, kernel = stride = patch)   [B, D, H/P, W/P]
//   t = [class_token; p as rows]     one token per patch, plus a learned class token            [B, 1 + N, D]
//   z = t + pos_embedding            learned positions (attention alone is blind to order)      [B, 1 + N, D]
//   z = encoder block(z), num_layers times (nn::ViTEncoderBlock)
//   logits = head(ln(z)[:, 0])       classify from the class token                              [B, classes]
//
// The class token is a query that, layer after layer, collects what it needs from the patches; its attention row in
// the last block shows where the model looked (forward(..., need_weights) returns every block's weights).
//
//   nn::VisionTransformer vit({.image_size = 28, .patch_size = 4, .in_channels = 1, .num_layers = 2,
//                              .num_heads = 4, .hidden_dim = 64, .mlp_dim = 128, .num_classes = 10});
//   Variable logits = vit.forward(x).logits;    // x: [B, 1, 28, 28] -> [B, 10]
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/module_list.h"
#include "nn/vit_encoder_block.h"

namespace glimpse::nn {

struct VisionTransformerOptions {
  int64_t image_size = 28;  // square images
  int64_t patch_size = 4;   // must divide image_size
  int64_t in_channels = 1;
  int64_t num_layers = 2;
  int64_t num_heads = 4;
  int64_t hidden_dim = 64;
  int64_t mlp_dim = 128;
  int64_t num_classes = 10;
  double dropout = 0.0;
};

struct VisionTransformerOutput {
  Variable logits;                 // [B, num_classes]
  std::vector<Variable> weights;   // per block [B, heads, 1 + N, 1 + N] when asked for (token 0 is the class token)
};

class VisionTransformer : public Module {
 public:
  explicit VisionTransformer(const VisionTransformerOptions& options = {});

  // x: [B, C, S, S] -> logits [B, num_classes] (and every block's attention weights when need_weights)
  VisionTransformerOutput forward(const Variable& x, bool need_weights = false) const;

  std::string extra_repr() const override;  // "image_size=28, patch_size=4, num_patches=49"

  int64_t num_patches() const { return grid_ * grid_; }
  int64_t grid() const { return grid_; }  // patches per side

  VisionTransformerOptions options;
  Conv2d conv_proj;
  Variable class_token;    // [1, 1, D], zeros
  Variable pos_embedding;  // [1, 1 + N, D], normal(std 0.02)
  Dropout dropout;
  ModuleList<ViTEncoderBlock> layers;  // "layers.0", "layers.1", ...
  LayerNorm ln;
  Linear head;

 private:
  int64_t grid_;
};

}  // namespace glimpse::nn
