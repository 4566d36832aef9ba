// Benchmark: the transcendental ops that dominated real training before they were vectorised (issue 14): GELU forward
// and backward on a GPT MLP activation [768, 512], tanh on an additive-attention energy [32, 12, 64], plus exp and
// sigmoid on [768, 512], and the baby GPT's attention core (qkv [12, 64, 384] -> heads -> causal attention -> [12, 64,
// 128], forward and backward: what one of its four layers does between the two linears). Prints one line per op: name, then the median µs per call over 15 samples of ~30 ms.
// bench/bench_ops_torch.py is the PyTorch twin (same shapes, same printout); bench/run_bench.py alternates the two.
//   bench_ops [--threads N]       (default: glimpse's default thread count)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "glimpse.h"
#include "tensor/parallel.h"

using namespace glimpse;

namespace {

volatile float g_sink = 0.0f;

template <class F>
double median_us(F f) {
  f();  // warm-up
  int inner = 1;
  for (;;) {  // calls per sample: about 30 ms
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) f();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s > 0.003) {
      inner = std::max(1, static_cast<int>(inner * 0.03 / s));
      break;
    }
    inner *= 10;
  }
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) f();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0) set_num_threads(std::atoi(argv[i + 1]));
  }
  manual_seed(0);
  Tensor a = randn({768, 512}), g = randn({768, 512}), e = randn({32, 12, 64});
  fmt::print("threads\t{}\n", get_num_threads());
  fmt::print("gelu [768,512]\t{:.2f}\n", median_us([&] { g_sink = gelu(a).data<float>()[0]; }));
  fmt::print("gelu backward [768,512]\t{:.2f}\n", median_us([&] { g_sink = gelu_backward(g, a).data<float>()[0]; }));
  fmt::print("gelu tanh [768,512]\t{:.2f}\n", median_us([&] { g_sink = gelu(a, "tanh").data<float>()[0]; }));
  fmt::print("tanh [32,12,64]\t{:.2f}\n", median_us([&] { g_sink = tanh(e).data<float>()[0]; }));
  fmt::print("tanh backward [32,12,64]\t{:.2f}\n", median_us([&] { g_sink = tanh_backward(e, e).data<float>()[0]; }));
  fmt::print("exp [768,512]\t{:.2f}\n", median_us([&] { g_sink = exp(a).data<float>()[0]; }));
  fmt::print("sigmoid [768,512]\t{:.2f}\n", median_us([&] { g_sink = sigmoid(a).data<float>()[0]; }));
  Variable qkv(randn({12, 64, 384}), true);
  Tensor gy = randn({12, 64, 128});
  fmt::print("gpt attention fwd+bwd [12,64,384]\t{:.2f}\n", median_us([&] {
               qkv.zero_grad();
               auto heads = [&](int64_t i) { return qkv.narrow(2, i * 128, 128).view({12, 64, 4, 32}).transpose(1, 2); };
               auto [ctx, w] = nn::scaled_dot_product_attention(heads(0), heads(1), heads(2),
                                                                {.is_causal = true, .need_weights = false});
               ctx.transpose(1, 2).reshape({12, 64, 128}).backward(gy);
               g_sink = qkv.grad().data<float>()[0];
             }));
  return 0;
}
