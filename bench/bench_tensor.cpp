// Benchmark: the tensor layer's three regimes, in one run.
//   1. GEMM: glimpse::matmul against a raw cblas_sgemm call on the same buffers, at 1024x1024x1024 and at the GPT
//      shapes (x @ W for the attention/MLP projections, and x @ Wᵀ with Wᵀ a transposed view, which must go to BLAS
//      with the transpose flag, not as a copy). The ratio glimpse / raw shows what the wrapper costs (target >= 0.95).
//   2. Bandwidth: add of two 1M-element float32 tensors, in GB/s counting 3 x 4 MiB of traffic (read a, read b,
//      write out).
//   3. Per-op overhead: add of two 8-element tensors, in ns per call (allocation of the result included).
// Method: a warm-up call, then the number of calls per sample is chosen so that one sample takes ~50 ms; GEMM reports
// the best of 41 samples of ~10 ms (glimpse and raw alternating, so both see the same machine load), the others the
// median of 15 samples of ~50 ms. Threads: one per core for OpenBLAS (its
// default) and for the big elementwise kernels (tensor/parallel.h; GLIMPSE_NUM_THREADS changes that).
// bench/bench_tensor_torch.py runs the same workloads in PyTorch; `--tsv` prints machine-readable lines for it.
#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/matmul.h"
#include "tensor/parallel.h"
#include "tensor/tensor.h"

using namespace glimpse;

namespace {

using Clock = std::chrono::steady_clock;

// Keeps the compiler from dropping a benchmarked call whose result is unused.
volatile float g_sink = 0.0f;

// Deterministic values in [-1, 1) (no dependence on the random module).
Tensor filled(const Shape& shape, uint32_t seed) {
  Tensor t = empty(shape, kFloat32);
  float* p = t.data<float>();
  uint32_t s = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = static_cast<float>(s >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return t;
}

// Seconds for `calls` calls of f.
template <class F>
double time_calls(F& f, int64_t calls) {
  auto start = Clock::now();
  for (int64_t i = 0; i < calls; ++i) f();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// How many calls make one sample of about `target` seconds (after one warm-up call).
template <class F>
int64_t calibrate(F& f, double target = 0.05) {
  f();  // warm-up: first-touch of buffers, BLAS thread start-up, allocator cache
  int64_t calls = 1;
  double t = time_calls(f, calls);
  while (t < target / 10) {
    calls *= 10;
    t = time_calls(f, calls);
  }
  return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(calls) * target / t));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Seconds per call of f: the median of `samples` samples.
template <class F>
double median_seconds(F f, int samples = 15) {
  int64_t calls = calibrate(f);
  std::vector<double> t;
  for (int s = 0; s < samples; ++s) t.push_back(time_calls(f, calls) / static_cast<double>(calls));
  return median(t);
}

// Seconds per call of f and g: the best of `samples` short samples each, taken in alternating order (f g, g f, ...)
// so that both see the same machine load. The best sample is the one least disturbed by other processes.
template <class F, class G>
std::pair<double, double> best_seconds_paired(F f, G g, int samples = 41) {
  int64_t cf = calibrate(f, 0.01), cg = calibrate(g, 0.01);
  double bf = 1e30, bg = 1e30;
  auto run_f = [&] { bf = std::min(bf, time_calls(f, cf) / static_cast<double>(cf)); };
  auto run_g = [&] { bg = std::min(bg, time_calls(g, cg) / static_cast<double>(cg)); };
  for (int s = 0; s < samples; ++s) {
    if (s % 2 == 0) {
      run_f();
      run_g();
    } else {
      run_g();
      run_f();
    }
  }
  return {bf, bg};
}

struct GemmRow {
  std::string name;
  double glimpse_gflops, raw_gflops;
};

// C[M, N] = A[M, K] @ B (B: [K, N], or [N, K] used transposed when b_transposed).
GemmRow bench_gemm(const std::string& name, int64_t M, int64_t K, int64_t N, bool b_transposed) {
  Tensor a = filled({M, K}, 1);
  Tensor b_store = b_transposed ? filled({N, K}, 2) : filled({K, N}, 2);
  Tensor b = b_transposed ? b_store.t() : b_store;  // a view: no copy
  Tensor c = empty({M, N});
  const float* pa = a.data<float>();
  const float* pb = b_store.data<float>();
  float* pc = c.data<float>();
  const int m = static_cast<int>(M), n = static_cast<int>(N), k = static_cast<int>(K);

  auto glimpse_call = [&] { g_sink = matmul(a, b).data<float>()[0]; };
  auto raw_call = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, b_transposed ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, pa, k, pb,
                b_transposed ? k : n, 0.0f, pc, n);
    g_sink = pc[0];
  };
  // Sanity: both compute the same numbers (a wrong fast path would make a meaningless benchmark).
  raw_call();
  Tensor ours = matmul(a, b);
  float max_diff = 0.0f;
  for (int64_t i = 0; i < M * N; ++i) max_diff = std::max(max_diff, std::abs(ours.data<float>()[i] - pc[i]));
  if (max_diff > 1e-3f * static_cast<float>(K)) fmt::print(stderr, "warning: {}: results differ by {}\n", name, max_diff);

  auto [tg, tr] = best_seconds_paired(glimpse_call, raw_call);
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  return {name, flops / tg / 1e9, flops / tr / 1e9};
}

}  // namespace

int main(int argc, char** argv) {
  const bool tsv = argc > 1 && std::strcmp(argv[1], "--tsv") == 0;

  std::vector<GemmRow> gemms;
  gemms.push_back(bench_gemm("1024x1024 @ 1024x1024", 1024, 1024, 1024, false));
  gemms.push_back(bench_gemm("768x128 @ 128x384", 768, 128, 384, false));
  gemms.push_back(bench_gemm("768x128 @ 128x512", 768, 128, 512, false));
  gemms.push_back(bench_gemm("768x512 @ (128x512)^T view", 768, 512, 128, true));

  // Bandwidth: 1M floats (4 MiB per tensor), 3 tensors' worth of traffic per add.
  const int64_t n_big = int64_t{1} << 20;
  Tensor x = filled({n_big}, 3), y = filled({n_big}, 4);
  const double add_s = median_seconds([&] { g_sink = add(x, y).data<float>()[0]; });
  const double add_gbs = 3.0 * 4.0 * static_cast<double>(n_big) / add_s / 1e9;

  // Per-op overhead: the whole call (checks, dispatch, allocation, 8 additions).
  Tensor s = filled({8}, 5), t = filled({8}, 6);
  const double op_ns = median_seconds([&] { g_sink = add(s, t).data<float>()[0]; }) * 1e9;

  const int threads = openblas_get_num_threads();
  if (tsv) {
    for (const GemmRow& r : gemms) fmt::print("gemm\t{}\t{:.3f}\t{:.3f}\n", r.name, r.glimpse_gflops, r.raw_gflops);
    fmt::print("add_1m_gbs\t{:.3f}\n", add_gbs);
    fmt::print("add_8_ns\t{:.1f}\n", op_ns);
    fmt::print("threads\t{}\n", threads);
    return 0;
  }

  fmt::print("glimpse tensor benchmark ({} OpenBLAS threads, {} elementwise threads, {} hardware threads)\n\n", threads,
             get_num_threads(), std::thread::hardware_concurrency());
  fmt::print("{:<30} {:>16} {:>16} {:>14}\n", "matmul, float32", "glimpse GFLOP/s", "cblas GFLOP/s", "glimpse/cblas");
  fmt::print("{:-<30} {:->16} {:->16} {:->14}\n", "", "", "", "");
  for (const GemmRow& r : gemms) {
    fmt::print("{:<30} {:>16.1f} {:>16.1f} {:>14.3f}\n", r.name, r.glimpse_gflops, r.raw_gflops,
               r.glimpse_gflops / r.raw_gflops);
  }
  fmt::print("\n{:<30} {:>16}\n", "elementwise / overhead", "glimpse");
  fmt::print("{:-<30} {:->16}\n", "", "");
  fmt::print("{:<30} {:>11.2f} GB/s\n", "add, 1M float32 (3 x 4 MiB)", add_gbs);
  fmt::print("{:<30} {:>13.1f} ns\n", "add, 8 float32 (one op)", op_ns);
  fmt::print("\nGEMM: best of 41 samples, glimpse and cblas alternating; add: median of 15 samples.\n");
  return 0;
}
