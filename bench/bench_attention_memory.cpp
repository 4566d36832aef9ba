// Benchmark: peak memory of one causal attention layer, forward + backward, against the sequence length T: flash
// attention (scaled_dot_product_attention with need_weights = false) or the plain path (the [B, H, T, T] scores and
// weights). B 1, 4 heads, head size 32, float32. Prints one `result:` line with the peak resident memory of the whole
// process (getrusage) and of the process before the attention ran, so the difference is what attention cost.
//   bench_attention_memory --T 4096 --mode flash|plain
// bench/attention_memory_sweep.py runs it for T = 512 ... 8192 and draws the figure.
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "glimpse.h"

using namespace glimpse;

namespace {
double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}
}  // namespace

int main(int argc, char** argv) {
  int64_t T = 1024;
  std::string mode = "flash";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--T") == 0) T = std::atoll(argv[i + 1]);
    else if (std::strcmp(argv[i], "--mode") == 0) mode = argv[i + 1];
  }
  if (T < 1 || (mode != "flash" && mode != "plain")) {
    fmt::print(stderr, "usage: bench_attention_memory --T N --mode flash|plain\n");
    return 2;
  }
  manual_seed(0);
  Variable q(randn({1, 4, T, 32}), true), k(randn({1, 4, T, 32}), true), v(randn({1, 4, T, 32}), true);
  Variable proj(randn({1, 4, T, 32}));
  const double before = peak_rss_mb();
  auto start = std::chrono::steady_clock::now();
  Variable out = nn::scaled_dot_product_attention(q, k, v, {.is_causal = true, .need_weights = mode == "plain"}).context;
  sum(out * proj).backward();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  fmt::print("result: T={} mode={} peak_rss_mb={:.1f} before_mb={:.1f} attention_mb={:.1f} ms={:.1f}\n", T, mode,
             peak_rss_mb(), before, peak_rss_mb() - before, ms);
  return 0;
}
