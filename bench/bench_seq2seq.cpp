// The glimpse side of bench/seq2seq_torch.py: one seq2seq training step (forward, loss with <pad> ignored, backward,
// clip 1.0, Adam) on the reverse task's sizes and on the translation protocol's, same kind of random batches. Prints
// the median ms per step. Run both in the same minute and compare ratios (see README "Seq2seq").
//
//   ./build/bench/bench_seq2seq [threads]  &&  /usr/bin/python3 bench/seq2seq_torch.py [threads]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "data/batch.h"
#include "models/seq2seq.h"
#include "optim/adam.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

struct Sizes {
  const char* name;
  int64_t B, src_vocab, tgt_vocab, emb, hidden;
  double lr;
  int64_t src_min, src_max, tgt_min, tgt_max, steps;
};

void bench(const Sizes& s) {
  manual_seed(0);
  models::Seq2Seq model({.src_vocab = s.src_vocab, .tgt_vocab = s.tgt_vocab, .emb = s.emb, .hidden = s.hidden});
  optim::Adam opt(model.parameters(), {.lr = s.lr});
  Generator gen(1);
  auto draw = [&](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(gen.uniform() * (hi - lo + 1)); };
  std::vector<double> ms;
  double loss_value = 0;
  for (int64_t step = 0; step < s.steps; ++step) {
    std::vector<std::vector<int64_t>> src(s.B), tgt(s.B);
    for (int64_t b = 0; b < s.B; ++b) {
      for (int64_t i = draw(s.src_min, s.src_max); i > 0; --i) src[b].push_back(draw(4, s.src_vocab - 1));
      for (int64_t i = draw(s.tgt_min, s.tgt_max); i > 0; --i) tgt[b].push_back(draw(4, s.tgt_vocab - 1));
    }
    const data::PaddedBatch x = data::pad_batch(src), tin = data::pad_batch(tgt, {.prepend_bos = true}),
                            tout = data::pad_batch(tgt, {.append_eos = true});
    const auto start = std::chrono::steady_clock::now();
    Variable loss = model.loss(x.ids, x.lengths, tin.ids, tout.ids);
    opt.zero_grad();
    loss.backward();
    opt.clip_and_step(1.0);
    loss_value = loss.item();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  ms.erase(ms.begin(), ms.begin() + 3);  // warm-up
  std::sort(ms.begin(), ms.end());
  fmt::print("glimpse {}: {:.2f} ms/step (median of {}), loss {:.3f}\n", s.name, ms[ms.size() / 2], ms.size(),
             loss_value);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) set_num_threads(std::atoi(argv[1]));
  bench({"reverse (B 32, emb 32, hidden 64)", 32, 14, 14, 32, 64, 3e-3, 5, 12, 5, 12, 40});
  bench({"translate (B 64, emb 128, hidden 256)", 64, 3207, 6465, 128, 256, 1e-3, 3, 9, 3, 11, 20});
}
