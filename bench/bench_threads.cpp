// Benchmark: does glimpse's default thread setting ever lose to one thread? Three workloads of different grain, each
// timed as the median of 15 samples in ms:
//   seq2seq-like:  an LSTMCell (256 -> 256) stepped 12 times on a batch of 32, with a tanh additive-attention energy
//                  [32, 12, 256] per step, forward + backward (many small GEMMs and small elementwise ops);
//   gpt-block:     the GPT MLP block of bench_autograd (512 tokens, 384 -> 1536 -> 384, gelu, layer_norm), fwd + bwd;
//   tiny-mlp:      the batch-1 MLP of bench_autograd (per-op overhead only).
// Run it as `bench_threads [--threads N]`, idle and beside a busy loop (`yes > /dev/null &` once per core); README,
// Performance, has the table and the commands.
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

template <class F>
double median_ms(F f, int inner) {
  f();
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / inner);
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
  nn::LSTMCell cell(256, 256);
  nn::Linear w_keys(256, 256), w_query(256, 256), v(256, 1);
  Variable keys(randn({32, 12, 256})), x(randn({32, 256}));
  const double seq_ms = median_ms(
      [&] {
        nn::LSTMState s = cell.forward(x);
        Variable proj = w_keys.forward(keys);  // [32, 12, 256]
        Variable loss = sum(s.first);
        for (int t = 0; t < 12; ++t) {
          Variable q = w_query.forward(s.first).unsqueeze(1);                 // [32, 1, 256]
          Variable attn = softmax(v.forward(tanh(proj + q)).squeeze(-1), -1);  // [32, 12]
          Variable ctx = matmul(attn.unsqueeze(1), keys).squeeze(1);           // [32, 256]
          s = cell.forward(ctx, s);
          loss = loss + sum(s.first);
        }
        loss.backward();
        cell.zero_grad();
        w_keys.zero_grad();
        w_query.zero_grad();
        v.zero_grad();
      },
      3);

  Variable xb(randn({512, 384}));
  Variable fw1(randn({384, 1536}) * 0.05, true), fb1(zeros({1536}), true);
  Variable fw2(randn({1536, 384}) * 0.05, true), fb2(zeros({384}), true);
  Variable gamma(ones({384}), true), beta(zeros({384}), true);
  const double block_ms = median_ms(
      [&] {
        Variable h = xb + (matmul(gelu(matmul(xb, fw1) + fb1), fw2) + fb2);
        Variable loss = mean(square(layer_norm(h, {384}, gamma, beta)));
        loss.backward();
        for (const Variable* p : {&fw1, &fb1, &fw2, &fb2, &gamma, &beta}) p->zero_grad();
      },
      2);

  Variable xm(randn({1, 64}));
  Variable w1(randn({64, 128}) * 0.1, true), b1(zeros({128}), true);
  Variable w2(randn({128, 10}) * 0.1, true), b2(zeros({10}), true);
  const double mlp_ms = median_ms(
      [&] {
        Variable loss = sum(square(matmul(tanh(matmul(xm, w1) + b1), w2) + b2));
        loss.backward();
        for (const Variable* p : {&w1, &b1, &w2, &b2}) p->zero_grad();
      },
      200);
  fmt::print("threads\t{}\nseq2seq-like ms\t{:.3f}\ngpt-block ms\t{:.3f}\ntiny-mlp ms\t{:.4f}\n", get_num_threads(), seq_ms,
             block_ms, mlp_ms);
  return 0;
}
