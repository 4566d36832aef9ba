// MnistCnn: a small convolutional digit classifier, with an optional attention block, for comparing the vision
// attention blocks on equal footing (examples/vision_attention).
//
//   x [B, 1, 28, 28]
//   conv1 3x3 (1 -> c1), BatchNorm, ReLU, MaxPool 2          [B, c1, 14, 14]
//   conv2 3x3 (c1 -> c2), BatchNorm, ReLU                    [B, c2, 14, 14]
//   + SqueezeExcitation or SpatialAttention here             (block = "se" / "spatial"; 14x14 maps)
//   MaxPool 2                                                [B, c2, 7, 7]
//   + NonLocalBlock here                                     (block = "nonlocal"; 49 positions attend to 49)
//   Dropout, Flatten, Linear(c2 * 49 -> 10)                  logits [B, 10]
//
//   models::MnistCnn net({.block = "spatial"});
//   auto out = net.forward(x);         // out.logits [B, 10]; out.map [B, 1, 14, 14] for "spatial"
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/non_local_block.h"
#include "nn/spatial_attention.h"
#include "nn/squeeze_excitation.h"

namespace glimpse::models {

struct MnistCnnOptions {
  std::string block = "none";  // none | se | spatial | nonlocal
  int64_t channels1 = 16, channels2 = 32;
  int64_t se_ratio = 8;
  double dropout = 0.25;
};

struct MnistCnnOutput {
  Variable logits;  // [B, 10]
  Variable map;     // "spatial": the attention map [B, 1, 14, 14]; "nonlocal": weights [B, 49, 49]; else undefined
};

class MnistCnn : public nn::Module {
 public:
  explicit MnistCnn(const MnistCnnOptions& options = {});

  // x: [B, 1, 28, 28] -> logits [B, 10] (and the block's attention, see MnistCnnOutput)
  MnistCnnOutput forward(const Variable& x) const;

  MnistCnnOptions options;
  nn::Conv2d conv1;
  nn::BatchNorm2d bn1;
  nn::Conv2d conv2;
  nn::BatchNorm2d bn2;
  std::unique_ptr<nn::SqueezeExcitation> se;      // set for block "se"
  std::unique_ptr<nn::SpatialAttention> spatial;  // set for block "spatial"
  std::unique_ptr<nn::NonLocalBlock> nonlocal;    // set for block "nonlocal"
  nn::Dropout dropout;
  nn::Linear fc;
};

}  // namespace glimpse::models
