// Row sums and maxima in eight interleaved lanes, for the fused row kernels (fused_layer_norm.cpp, fused_loss.cpp).
// Internal. Why lanes: without -ffast-math the compiler must keep a single running sum in program order, which it can
// neither vectorise nor pipeline; eight independent partial sums let it do both.
#pragma once

#include <cstdint>

namespace glimpse::detail {

constexpr int kRowLanes = 8;

// sum of term(i) for i in [0, n), in eight interleaved partial sums.
template <class T, class F>
T lane_sum(int64_t n, F term) {
  T part[kRowLanes] = {};
  int64_t i = 0;
  for (; i + kRowLanes <= n; i += kRowLanes) {
    for (int k = 0; k < kRowLanes; ++k) part[k] += term(i + k);
  }
  for (int k = 0; i < n; ++i, ++k) part[k] += term(i);
  T s = 0;
  for (int k = 0; k < kRowLanes; ++k) s += part[k];
  return s;
}

// max of p[0..n) (n >= 1), in eight interleaved partial maxima. A NaN never wins here, but it still reaches the
// result through the sum of exponentials that follows.
template <class T>
T lane_max(const T* p, int64_t n) {
  T part[kRowLanes];
  for (int k = 0; k < kRowLanes; ++k) part[k] = p[0];
  int64_t i = 0;
  for (; i + kRowLanes <= n; i += kRowLanes) {
    for (int k = 0; k < kRowLanes; ++k) part[k] = p[i + k] > part[k] ? p[i + k] : part[k];
  }
  for (int k = 0; i < n; ++i, ++k) part[k] = p[i] > part[k] ? p[i] : part[k];
  T m = part[0];
  for (int k = 1; k < kRowLanes; ++k) m = part[k] > m ? part[k] : m;
  return m;
}

}  // namespace glimpse::detail
