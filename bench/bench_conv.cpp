// Convolution benchmark: Conv2d forward + backward (input, weight, bias gradients) on MNIST-sized and canvas-sized
// workloads. Median of 15 repeats of 10 calls, in ms of PROCESS CPU time (std::clock): on a machine shared with other
// jobs, wall time mostly measures the scheduler. CPU time equals compute only single-threaded, so run both sides with
// OMP_NUM_THREADS=1. Its PyTorch twin is bench_conv_torch.py (same shapes); run them alternately, compare ratios.
//
//   export OMP_NUM_THREADS=1; ./build/bench/bench_conv && /usr/bin/python3 bench/bench_conv_torch.py
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <vector>

#include "glimpse.h"

using namespace glimpse;

namespace {

double median_ms(const std::function<void()>& f, int repeats = 15, int inner = 10) {
  f();  // warm the caching allocator
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const std::clock_t start = std::clock();
    for (int i = 0; i < inner; ++i) f();
    t.push_back(1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// x: [n, c, h, w] through Conv2d(c, oc, k, stride, padding), forward and backward
void conv_case(const char* name, Shape xshape, int64_t oc, int64_t k, int64_t stride, int64_t pad) {
  manual_seed(0);
  nn::Conv2d conv(xshape[1], oc, {k, k}, {.stride = {stride, stride}, .padding = {pad, pad}});
  Variable x(randn(xshape), true);
  const double fwd = median_ms([&] { NoGradGuard g; conv.forward(x); });
  const double both = median_ms([&] {
    Variable y = conv.forward(x);
    y.backward(ones_like(y.data()));
  });
  fmt::print("{:<44} forward {:8.3f} ms   forward+backward {:8.3f} ms\n", name, fwd, both);
}

}  // namespace

int main() {
  fmt::print("glimpse conv benchmark, {} threads\n", get_num_threads());
  conv_case("conv 1->16 3x3 pad 1, [64, 1, 28, 28]", {64, 1, 28, 28}, 16, 3, 1, 1);
  conv_case("conv 16->32 3x3 pad 1, [64, 16, 14, 14]", {64, 16, 14, 14}, 32, 3, 1, 1);
  conv_case("conv 1->16 3x3 stride 2, [32, 1, 48, 128]", {32, 1, 48, 128}, 16, 3, 2, 1);
  conv_case("conv 32->64 3x3 pad 1, [32, 32, 6, 16]", {32, 32, 6, 16}, 64, 3, 1, 1);
}
