// Benchmark: the per-op overhead of the autograd tape.
//   1. recording one op: add of two 8-element Variables that require grad (forward only, the result dropped), and
//      mul, whose backward saves both inputs (so it also pays for the version counters of what it saved);
//   2. one forward + backward of a 2-layer MLP on a batch of 1: x [1, 64] -> Linear(64, 128) -> tanh -> Linear(128, 10)
//      -> sum of squares, then backward and zeroing the gradients;
//   3. one forward + backward of a GPT-sized transformer MLP block on 512 tokens: x [512, 384] -> x + Linear(1536, 384)
//      (gelu(Linear(384, 1536)(x))) -> layer_norm -> mean of squares. This one is dominated by GEMMs and by big
//      elementwise kernels, so it shows our kernels and OpenBLAS sharing the cores.
// Prints the median over repeats, in µs. bench/bench_autograd_torch.py runs the same workloads in PyTorch.
#include <algorithm>
#include <chrono>
#include <vector>

#include <cblas.h>

#include "glimpse.h"
#include "tensor/parallel.h"

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
  double record_mul_us = median_us([&] { Variable c = a * b; }, 20000);
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

  Variable xb(randn({512, 384}));
  Variable fw1(randn({384, 1536}) * 0.05, true), fb1(zeros({1536}), true);
  Variable fw2(randn({1536, 384}) * 0.05, true), fb2(zeros({384}), true);
  Variable gamma(ones({384}), true), beta(zeros({384}), true);
  double block_us = median_us(
      [&] {
        Variable h = xb + (matmul(gelu(matmul(xb, fw1) + fb1), fw2) + fb2);
        Variable loss = mean(square(layer_norm(h, {384}, gamma, beta)));
        loss.backward();
        for (const Variable* p : {&fw1, &fb1, &fw2, &fb2, &gamma, &beta}) p->zero_grad();
      },
      10);

  fmt::print("{:<58} {:>10}\n", "workload", "µs");
  fmt::print("{:<58} {:>10.3f}\n", "tensor add, 8 elements (no autograd)", plain_us);
  fmt::print("{:<58} {:>10.3f}\n", "record one op: Variable add, 8 elements", record_us);
  fmt::print("{:<58} {:>10.3f}\n", "record one op: Variable mul, 8 elements (saves a and b)", record_mul_us);
  fmt::print("{:<58} {:>10.3f}\n", "MLP 64-128-10, batch 1: forward + backward + zero_grad", mlp_us);
  fmt::print("{:<58} {:>10.1f}\n", "GPT MLP block, 512 tokens x 384: forward + backward", block_us);
  fmt::print("({} elementwise threads, {} OpenBLAS threads)\n", get_num_threads(), openblas_get_num_threads());
  return 0;
}
