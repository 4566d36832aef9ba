// ShowAttendTell: an image captioner with attention over the image (Xu et al., "Show, Attend and Tell", 2015), sized
// for canvases of a few handwritten digits (examples/show_attend_tell).
//
// Encoder: Conv2d 3x3 stride 2 and MaxPool 2, Conv2d 3x3 and MaxPool 2, Conv2d 3x3 (a BatchNorm and ReLU after
// every convolution) turn a [B, 1, H, W] canvas into a grid of feature vectors, one per 8x8 cell, plus a
// learned embedding of each cell's position (the decoder must tell left from right, and convolutions alone barely
// know where they are). The stride-2 first convolution keeps the full-resolution work (the costly elementwise passes
// of BatchNorm and ReLU on H x W maps) to a quarter:
//   a = features + pos                                                      [B, L, C], L = (H / 8) * (W / 8)
// Decoder: an LSTM that, at every step t, looks at the grid with additive attention scored by its PREVIOUS state
// (Bahdanau's formulas, the seed tutorial's):
//   e_ti = vᵀ tanh(W1 a_i + W2 h_{t-1})      α_t = softmax_i(e_t)      z_t = Σ_i α_ti a_i          (nn::AdditiveAttention)
//   (h_t, c_t) = LSTMCell([E y_{t-1}; z_t], (h_{t-1}, c_{t-1}))
//   logits_t = out([h_t; z_t])
// with h_0 = tanh(init_h(mean_i a_i)), c_0 = tanh(init_c(mean_i a_i)) and y_0 = <bos>.
//
//   models::ShowAttendTell net({.vocab_size = 12});
//   auto [logits, weights] = net.forward(canvas, inputs);   // teacher forcing: inputs [B, T] -> [B, T, V], [B, T, L]
//   auto [tokens, alphas] = net.greedy(canvas, bos, 4);     // tokens [B, 4] int64, alphas [B, 4, L]
#pragma once

#include <cstdint>
#include <utility>

#include "nn/additive_attention.h"
#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "nn/module.h"

namespace glimpse::models {

struct ShowAttendTellOptions {
  int64_t image_height = 48, image_width = 128;  // multiples of 8
  int64_t vocab_size = 12;
  int64_t channels1 = 16, channels2 = 32, channels3 = 64;  // encoder; the grid's features are channels3 wide
  int64_t embed_dim = 32, hidden_dim = 128, attention_dim = 64;
};

struct CaptionOutput {
  Variable logits;   // teacher forcing: [B, T, V]
  Variable weights;  // [B, T, L]: the attention at each step
};

struct GreedyOutput {
  Tensor tokens;   // [B, T] int64
  Tensor weights;  // [B, T, L]
};

class ShowAttendTell : public nn::Module {
 public:
  explicit ShowAttendTell(const ShowAttendTellOptions& options = {});

  // images: [B, 1, H, W] -> the annotation vectors a: [B, L, C] (features of each grid cell plus its position)
  Variable encode(const Variable& images) const;
  // images: [B, 1, H, W], inputs: [B, T] int64 (<bos>, y_1, ..., y_{T-1}) -> logits [B, T, V], weights [B, T, L]
  CaptionOutput forward(const Variable& images, const Tensor& inputs) const;
  // Greedy decoding of `steps` tokens from <bos> (no gradients).
  GreedyOutput greedy(const Variable& images, int64_t bos, int64_t steps) const;

  int64_t grid_height() const { return options.image_height / 8; }
  int64_t grid_width() const { return options.image_width / 8; }

  ShowAttendTellOptions options;
  nn::Conv2d conv1, conv2, conv3;
  nn::BatchNorm2d bn1, bn2, bn3;
  Variable pos;  // [L, C] ~ N(0, 0.1²)
  nn::Linear init_h, init_c;
  nn::Embedding embed;
  nn::AdditiveAttention attention;
  nn::LSTMCell lstm;
  nn::Linear out;

 private:
  using State = std::pair<Variable, Variable>;
  State initial_state(const Variable& a) const;
  // One decoder step: previous tokens [B], state, annotations -> logits [B, V], weights [B, L], new state
  struct Step {
    Variable logits, weights;
    State state;
  };
  Step step(const Tensor& prev, const State& state, const Variable& a) const;
};

}  // namespace glimpse::models
