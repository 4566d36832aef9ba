// make_canvases: random non-overlapping positions, digits pasted with max() (their backgrounds are 0).
#include "canvas.h"

#include <algorithm>

namespace glimpse::example {

Canvases make_canvases(const Tensor& images, const Tensor& labels, int64_t n, std::mt19937_64& rng) {
  const int64_t m = images.size(0);
  const Tensor src = images.contiguous();
  const float* pix = src.data<float>();
  const std::vector<int64_t> lab = labels.to_vector<int64_t>();
  Canvases c{zeros({n, 1, kCanvasHeight, kCanvasWidth}), empty({n, kDigitsPerCanvas}, kInt64), {}};
  float* dst = c.images.data<float>();
  int64_t* dig = c.digits.data<int64_t>();
  std::uniform_int_distribution<int64_t> pick(0, m - 1), slack_x(0, kCanvasWidth - kDigitsPerCanvas * kDigit),
      pos_y(0, kCanvasHeight - kDigit);
  for (int64_t i = 0; i < n; ++i) {
    // Three cut points in the horizontal slack, sorted: digit k starts at cut_k + 28 k, so boxes never overlap.
    std::array<int64_t, kDigitsPerCanvas> cuts;
    for (auto& v : cuts) v = slack_x(rng);
    std::sort(cuts.begin(), cuts.end());
    std::array<Box, kDigitsPerCanvas> boxes;
    for (int64_t k = 0; k < kDigitsPerCanvas; ++k) {
      const int64_t j = pick(rng);
      boxes[k] = {cuts[k] + k * kDigit, pos_y(rng), lab[j]};
      dig[i * kDigitsPerCanvas + k] = lab[j];
      const float* d = pix + j * kDigit * kDigit;
      float* canvas = dst + i * kCanvasHeight * kCanvasWidth;
      for (int64_t y = 0; y < kDigit; ++y) {
        for (int64_t x = 0; x < kDigit; ++x) {
          float& p = canvas[(boxes[k].y + y) * kCanvasWidth + boxes[k].x + x];
          p = std::max(p, d[y * kDigit + x]);
        }
      }
    }
    c.boxes.push_back(boxes);
  }
  return c;
}

}  // namespace glimpse::example
