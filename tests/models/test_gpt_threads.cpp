// A whole training step of models::GPT (issue 14's baby GPT: 4 layers, 4 heads, width 128, context 64, batch 12,
// dropout on) with the example's optimizer (AdamW, decay on the matrices only, clipping at 1.0 folded into the step):
// the same loss bits and the same parameters on 1 and on 2 threads (the thread-count rule of README, Decisions).
#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "models/gpt.h"
#include "optim/adam.h"
#include "tensor/elementwise.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

struct Trained {
  std::vector<uint64_t> loss_bits;
  std::vector<Tensor> params;
};

Trained train(int threads) {
  const int saved = get_num_threads();
  set_num_threads(threads);
  manual_seed(0);
  models::GPT model({.block_size = 64, .vocab_size = 65, .n_layer = 4, .n_head = 4, .n_embd = 128, .dropout = 0.1});
  std::vector<Variable> decay, no_decay;
  for (const auto& p : model.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  optim::AdamW opt({{.params = decay, .weight_decay = 0.1}, {.params = no_decay, .weight_decay = 0.0}},
                   {.lr = 1e-3, .beta2 = 0.99});
  Trained t;
  for (int step = 0; step < 2; ++step) {
    const Tensor x = randint(0, 65, {12, 64}), y = randint(0, 65, {12, 64});
    Variable loss = models::GPT::loss(model.forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.clip_and_step(1.0);
    t.loss_bits.push_back(std::bit_cast<uint64_t>(loss.data().item<double>()));
  }
  for (const Variable& p : model.parameters()) t.params.push_back(p.data().clone());
  set_num_threads(saved);
  return t;
}

}  // namespace

TEST_SUITE("gpt_threads") {
  TEST_CASE("a whole GPT training step gives the same loss bits and parameters on 1 and 2 threads") {
    const Trained one = train(1), two = train(2);
    CHECK(one.loss_bits == two.loss_bits);
    REQUIRE(one.params.size() == two.params.size());
    for (size_t i = 0; i < one.params.size(); ++i) CHECK(equal(one.params[i], two.params[i]));
    CHECK(std::bit_cast<double>(one.loss_bits[0]) > 3.0);  // about log 65 = 4.17 at the start: a real loss, not NaN
  }
}
