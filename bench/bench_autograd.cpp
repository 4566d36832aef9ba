// Benchmark: the per-op overhead of the autograd tape.
//   1. recording one op: add of two 8-element Variables that require grad (forward only, the result dropped);
//   2. one forward + backward of a 2-layer MLP on a batch of 1: x [1, 64] -> Linear(64, 128) -> tanh -> Linear(128, 10)
//      -> sum of squares, then backward and zeroing the gradients.
// Prints the median over repeats, in µs. bench/bench_autograd_torch.py runs the same workloads in PyTorch.
#include <algorithm>
#include <chrono>
#include <vector>

#include "glimpse.h"

using namespace glimpse;

template <class F>
double median_us(F&& f, int inner, int repeats = 15) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) f();
    auto stop = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::micro>(stop - start).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main() {
  manual_seed(0);
  Variable a(randn({8}), true), b(randn({8}), true);
  double record_us = median_us([&] { Variable c = a + b; }, 20000);
  double plain_us = median_us([&] { Tensor c = a.data() + b.data(); }, 20000);

  Variable x(randn({1, 64}));
  Variable w1(randn({64, 128}) * 0.1, true), b1(zeros({128}), true);
  Variable w2(randn({128, 10}) * 0.1, true), b2(zeros({10}), true);
  double mlp_us = median_us(
      [&] {
        Variable h = tanh(matmul(x, w1) + b1);
        Variable loss = sum(square(matmul(h, w2) + b2));
        loss.backward();
        for (const Variable* p : {&w1, &b1, &w2, &b2}) p->zero_grad();
      },
      2000);

  fmt::print("{:<58} {:>10}\n", "workload", "µs");
  fmt::print("{:<58} {:>10.3f}\n", "tensor add, 8 elements (no autograd)", plain_us);
  fmt::print("{:<58} {:>10.3f}\n", "record one op: Variable add, 8 elements", record_us);
  fmt::print("{:<58} {:>10.3f}\n", "MLP 64-128-10, batch 1: forward + backward + zero_grad", mlp_us);
  return 0;
}
