// Canvases of three handwritten digits for the captioning example: each digit pasted at a random position of a
// 48x128 canvas, the three 28x28 boxes never overlapping, and the caption the three digits from left to right.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "tensor/tensor.h"

namespace glimpse::example {

inline constexpr int64_t kCanvasHeight = 48, kCanvasWidth = 128, kDigit = 28, kDigitsPerCanvas = 3;

struct Box {
  int64_t x = 0, y = 0;  // top-left corner; the box is kDigit x kDigit
  int64_t label = 0;
};

struct Canvases {
  Tensor images;                                     // [N, 1, 48, 128] float32 in [0, 1]
  Tensor digits;                                     // [N, 3] int64: the caption's digits, left to right
  std::vector<std::array<Box, kDigitsPerCanvas>> boxes;  // per canvas, left to right
};

// n canvases made of digits drawn uniformly from `images` [M, 1, 28, 28] with `labels` [M].
Canvases make_canvases(const Tensor& images, const Tensor& labels, int64_t n, std::mt19937_64& rng);

}  // namespace glimpse::example
