// A whole training step of a small GPT-shaped model, end to end across the layers (embeddings, causal
// MultiheadAttention on the flash path, LayerNorm, GELU MLP, cross-entropy, backward, gradient clipping, AdamW): the
// same loss bits and the same parameters, bit for bit, on 1 and on 2 threads (the thread-count rule of README,
// Decisions). Sizes are issue 14's baby GPT cut to one block: batch 12, context 64, width 128, 4 heads, 65 tokens.
// Also: a step in its steady state takes its buffers from the allocator's cache, and a small model's step takes its
// small heap objects (tensor/small_objects.h) from the recycling lists.
#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_loss.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/multihead_attention.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "tensor/elementwise.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/small_objects.h"
#include "tensor/storage.h"

using namespace glimpse;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecyclesSmallObjects = false;  // tensor/small_objects.h: off under the sanitizer
#else
constexpr bool kRecyclesSmallObjects = true;
#endif

struct StepResult {
  std::vector<double> losses;
  std::vector<Tensor> params;
  std::vector<AllocatorStats> allocations;  // per step: buffer requests and system allocations (tensor/storage.h)
};

StepResult train(int threads) {
  const int saved = get_num_threads();
  set_num_threads(threads);
  manual_seed(0);
  const int64_t B = 12, T = 64, C = 128, V = 65;
  nn::Embedding tok(V, C), pos(T, C);
  nn::LayerNorm ln1(Shape{C}), ln2(Shape{C}), ln_f(Shape{C});
  nn::MultiheadAttention attn(C, 4, {.batch_first = true});
  nn::Linear fc(C, 4 * C), proj(4 * C, C), head(C, V);
  std::vector<Variable> params;
  for (const nn::Module* m : std::vector<const nn::Module*>{&tok, &pos, &ln1, &ln2, &ln_f, &attn, &fc, &proj, &head}) {
    for (const Variable& p : m->parameters()) params.push_back(p);
  }
  optim::AdamW opt(params, {.lr = 1e-3, .weight_decay = 0.1});
  Tensor ids = randint(0, V, {B, T}), targets = randint(0, V, {B * T}), positions = arange(double(T));
  StepResult r;
  for (int step = 0; step < 3; ++step) {
    const AllocatorStats before = allocator_stats();
    Variable x = tok.forward(ids) + pos.forward(positions);  // [B, T, C]
    Variable h = ln1.forward(x);
    x = x + attn.forward(h, h, h, {.need_weights = false, .is_causal = true}).context;
    x = x + proj.forward(gelu(fc.forward(ln2.forward(x))));
    Variable logits = head.forward(ln_f.forward(x)).reshape({B * T, V});
    Variable loss = cross_entropy(logits, targets);
    opt.zero_grad();
    loss.backward();
    optim::clip_grad_norm_(params, 1.0);
    opt.step();
    r.losses.push_back(loss.data().item<double>());
    const AllocatorStats after = allocator_stats();
    r.allocations.push_back({after.requests - before.requests, after.system - before.system});
  }
  for (const Variable& p : params) r.params.push_back(p.data().clone());
  set_num_threads(saved);
  return r;
}

}  // namespace

TEST_SUITE("training_step") {
  TEST_CASE("a GPT-shaped training step gives the same loss bits and parameters on 1 and 2 threads") {
    StepResult one = train(1), two = train(2);
    REQUIRE(one.losses.size() == 3);
    CHECK(one.losses[1] < one.losses[0] + 1.0);  // a sane loss (about log 65 = 4.17), not NaN
    for (size_t i = 0; i < one.losses.size(); ++i) {
      CHECK(std::bit_cast<uint64_t>(one.losses[i]) == std::bit_cast<uint64_t>(two.losses[i]));
    }
    REQUIRE(one.params.size() == two.params.size());
    for (size_t i = 0; i < one.params.size(); ++i) CHECK(equal(one.params[i], two.params[i]));
  }

  TEST_CASE("a training step in its steady state takes every buffer from the allocator's cache") {
    // Step 0 fills the cache, unless an earlier test in this process did, and creates AdamW's moments; from then on
    // every step asks for the same buffers, and the cache has them all.
    StepResult r = train(1);
    MESSAGE("buffer requests per step: ", r.allocations[0].requests, ", ", r.allocations[1].requests, ", ",
            r.allocations[2].requests, "; from the system: ", r.allocations[0].system, ", ", r.allocations[1].system,
            ", ", r.allocations[2].system);
    CHECK(r.allocations[0].requests > r.allocations[1].requests);  // the optimizer's state, made once
    CHECK(r.allocations[1].requests == r.allocations[2].requests);
#if defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer the cache is off (so that use-after-free stays visible): every request is the system's.
    CHECK(r.allocations[2].system == r.allocations[2].requests);
#else
    CHECK(r.allocations[2].system == 0);
#endif
  }

  TEST_CASE("a small model's training step in its steady state takes every small object from the lists") {
    // The context network's step (Embedding, mul, Linear, mse_loss, Adam): storages, Variables and Nodes.
    manual_seed(0);
    nn::Embedding table(5, 8);
    nn::Linear fc(8, 1);
    std::vector<Variable> params = table.parameters();
    for (const Variable& p : fc.parameters()) params.push_back(p);
    optim::Adam opt(params, {.lr = 1e-3});
    const Tensor x = rand({1, 8}), c = randint(0, 5, {1}), y = rand({1, 1});
    std::vector<SmallObjectStats> per_step;
    for (int step = 0; step < 4; ++step) {
      const SmallObjectStats before = small_object_stats();
      Variable loss = mse_loss(fc.forward(Variable(x) * table.forward(c)), Variable(y));
      opt.zero_grad();
      loss.backward();
      opt.step();
      const SmallObjectStats after = small_object_stats();
      per_step.push_back({after.reused - before.reused, after.fresh - before.fresh});
    }
    MESSAGE("last step: ", per_step[3].reused, " reused, ", per_step[3].fresh, " fresh");
    if (kRecyclesSmallObjects) {
      CHECK(per_step[3].reused >= 10);  // a dozen storages, Variables and Nodes at least
      CHECK(per_step[3].fresh == 0);
    } else {
      CHECK(per_step[3].reused == 0);
    }
  }
}
