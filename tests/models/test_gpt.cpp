// Tests for models/gpt: nanoGPT's names and parameter count, weight tying, the causal mask, the attention weights,
// KV-cache generation against full-context generation, a float64 gradcheck of a tiny GPT, errors.
#include <doctest/doctest.h>

#include "autograd/grad_mode.h"
#include "models/gpt.h"
#include "nn/helpers.h"
#include "tensor/reduce.h"
#include "tensor/storage.h"

using namespace glimpse;

namespace {

models::GPTConfig tiny(bool bias = false) {
  return {.block_size = 8, .vocab_size = 11, .n_layer = 2, .n_head = 2, .n_embd = 8, .dropout = 0.0, .bias = bias};
}

// nanoGPT's parameter count, written out: every block has c_attn (3C² + 3C), attn.c_proj (C² + C), c_fc (4C² + 4C),
// mlp.c_proj (4C² + C) and two LayerNorms (C weights each, C biases each), i.e. 12C² + 13C with biases and
// 12C² + 2C without; then wte (V·C, shared with lm_head), wpe (block·C) and ln_f.
int64_t nanogpt_count(const models::GPTConfig& c, bool non_embedding) {
  const int64_t C = c.n_embd;
  const int64_t block = 12 * C * C + (c.bias ? 13 * C : 2 * C);
  const int64_t total = c.vocab_size * C + c.block_size * C + c.n_layer * block + (c.bias ? 2 * C : C);
  return non_embedding ? total - c.block_size * C : total;
}

Tensor random_ids(int64_t B, int64_t T, int64_t V, uint64_t seed) {
  Generator gen(seed);
  return randint(0, V, {B, T}, gen);
}

}  // namespace

TEST_SUITE("gpt") {
  TEST_CASE("parameter names are nanoGPT's state_dict names, lm_head tied to transformer.wte") {
    models::GPT gpt(tiny());
    std::vector<std::string> names;
    for (const auto& [name, _] : gpt.state_dict().tensors) names.push_back(name);
    const std::vector<std::string> first{"transformer.wte.weight",
                                         "transformer.wpe.weight",
                                         "transformer.h.0.ln_1.weight",
                                         "transformer.h.0.attn.c_attn.weight",
                                         "transformer.h.0.attn.c_proj.weight",
                                         "transformer.h.0.ln_2.weight",
                                         "transformer.h.0.mlp.c_fc.weight",
                                         "transformer.h.0.mlp.c_proj.weight",
                                         "transformer.h.1.ln_1.weight"};
    // nanoGPT's state_dict() holds the tied weight under both names, last lm_head.weight; so does this one.
    REQUIRE(names.size() == 2 + 2 * 6 + 1 + 1);
    CHECK(std::vector<std::string>(names.begin(), names.begin() + 9) == first);
    CHECK(names[names.size() - 2] == "transformer.ln_f.weight");
    CHECK(names.back() == "lm_head.weight");
    models::GPT with_bias(tiny(true));
    CHECK(with_bias.state_dict().at("transformer.h.1.attn.c_attn.bias").shape() == Shape{24});
    CHECK(with_bias.state_dict().at("transformer.ln_f.bias").shape() == Shape{8});
  }

  TEST_CASE("parameter count equals nanoGPT's formula, with and without biases") {
    for (bool bias : {false, true}) {
      models::GPT gpt(tiny(bias));
      CHECK(gpt.get_num_params(false) == nanogpt_count(tiny(bias), false));
      CHECK(gpt.get_num_params() == nanogpt_count(tiny(bias), true));
    }
    // The baby GPT of the example: 4 · (12 · 128² + 2 · 128) + 65 · 128 + 128 = 795,904 (nanoGPT prints 0.80M).
    models::GPT baby({.block_size = 64, .vocab_size = 65, .n_layer = 4, .n_head = 4, .n_embd = 128});
    CHECK(baby.get_num_params() == 795'904);
    CHECK(baby.get_num_params() == nanogpt_count(baby.config, true));
  }

  TEST_CASE("nanoGPT initialisation: N(0, 0.02), residual projections N(0, 0.02/sqrt(2 n_layer)), biases 0") {
    manual_seed(1);
    models::GPT gpt({.block_size = 64, .vocab_size = 65, .n_layer = 4, .n_head = 4, .n_embd = 128, .bias = true});
    auto sd = gpt.state_dict();
    auto std_of = [&](const char* name) { return std::sqrt(var(sd.at(name), {}, 1).item()); };
    CHECK(std_of("transformer.h.0.mlp.c_fc.weight") == doctest::Approx(0.02).epsilon(0.02));
    CHECK(std_of("transformer.wte.weight") == doctest::Approx(0.02).epsilon(0.05));
    CHECK(std_of("transformer.h.3.mlp.c_proj.weight") == doctest::Approx(0.02 / std::sqrt(8.0)).epsilon(0.02));
    CHECK(std_of("transformer.h.1.attn.c_proj.weight") == doctest::Approx(0.02 / std::sqrt(8.0)).epsilon(0.05));
    CHECK(sum(abs(sd.at("transformer.h.2.attn.c_attn.bias"))).item() == 0.0);
    CHECK(sd.at("transformer.ln_f.weight").tolist() == std::vector<double>(128, 1.0));
  }

  TEST_CASE("weight tying: one Storage, and the gradient is the sum of both uses") {
    manual_seed(2);
    models::GPT gpt(tiny());
    CHECK(gpt.lm_head.weight.same(gpt.transformer.wte.weight));
    CHECK(gpt.lm_head.weight.data().data<float>() == gpt.transformer.wte.weight.data().data<float>());
    const Tensor idx = random_ids(2, 8, 11, 3), targets = random_ids(2, 8, 11, 4);
    models::GPT::loss(gpt.forward(idx), targets).backward();
    const Tensor tied = gpt.lm_head.weight.grad().clone();
    // Untie by hand: the head reads a copy, so the embedding and the head each get only their own gradient.
    gpt.zero_grad();
    const Variable shared = gpt.lm_head.weight;
    gpt.lm_head.weight = Variable(shared.data().clone(), true);
    models::GPT::loss(gpt.forward(idx), targets).backward();
    const Tensor both = add(shared.grad(), gpt.lm_head.weight.grad());
    CHECK(nn_test::close(tied, both, 1e-5, 1e-7));
    CHECK(sum(abs(shared.grad())).item() > 0.0);
    CHECK(sum(abs(gpt.lm_head.weight.grad())).item() > 0.0);
    gpt.lm_head.weight = shared;
  }

  TEST_CASE("causal mask: changing a future token never changes an earlier output") {
    manual_seed(5);
    models::GPT gpt(tiny(true));
    Tensor idx = random_ids(1, 8, 11, 6);
    NoGradGuard no_grad;
    const Tensor before = gpt.forward(idx).data();
    for (int64_t t = 1; t < 8; ++t) {
      Tensor changed = idx.clone();
      changed.data<int64_t>()[t] = (idx.data<int64_t>()[t] + 1) % 11;
      const Tensor after = gpt.forward(changed).data();
      CHECK(equal(before.narrow(1, 0, t), after.narrow(1, 0, t)));
      CHECK(!equal(before.narrow(1, t, 1), after.narrow(1, t, 1)));  // the changed position itself does change
    }
  }

  TEST_CASE("attention weights per layer and head: [B, nh, T, T], causal rows summing to 1") {
    manual_seed(7);
    models::GPT gpt(tiny());
    std::vector<Tensor> attn;
    NoGradGuard no_grad;
    gpt.forward(random_ids(3, 5, 11, 8), &attn);
    REQUIRE(attn.size() == 2);
    for (const Tensor& w : attn) {
      REQUIRE(w.shape() == Shape{3, 2, 5, 5});
      CHECK(nn_test::close(sum(w, {-1}), ones({3, 2, 5}), 1e-5, 1e-6));
      const Tensor c = w.contiguous();
      double above = 0.0;
      for (int64_t b = 0; b < 3 * 2; ++b) {
        for (int64_t i = 0; i < 5; ++i) {
          for (int64_t j = i + 1; j < 5; ++j) above += std::abs(c.data<float>()[(b * 5 + i) * 5 + j]);
        }
      }
      CHECK(above == 0.0);
    }
  }

  TEST_CASE("KV-cache generation equals full-context generation token for token (greedy, past the block)") {
    manual_seed(9);
    models::GPT gpt(tiny(true));
    const std::vector<int64_t> prompt{1, 2, 3};
    // 20 new tokens with block_size 8: the window moves several times, so the cache is refilled too.
    auto cached = gpt.generate(prompt, {.max_new_tokens = 20, .temperature = 0.0, .use_kv_cache = true});
    auto full = gpt.generate(prompt, {.max_new_tokens = 20, .temperature = 0.0, .use_kv_cache = false});
    CHECK(cached.size() == 23);
    CHECK(cached == full);
    // Sampling with the same generator seed also agrees.
    Generator g1(4), g2(4);
    auto s1 = gpt.generate(prompt, {.max_new_tokens = 20, .temperature = 1.0, .top_k = 5, .generator = &g1});
    auto s2 = gpt.generate(prompt, {.max_new_tokens = 20, .temperature = 1.0, .top_k = 5, .use_kv_cache = false,
                                    .generator = &g2});
    CHECK(s1 == s2);
    CHECK(gpt.is_training());  // generate restores the mode
  }

  TEST_CASE("forward_cached in two steps gives the logits of the full forward") {
    manual_seed(10);
    models::GPT gpt(tiny());
    gpt.eval();
    const Tensor idx = random_ids(2, 7, 11, 11);
    NoGradGuard no_grad;
    const Tensor full = gpt.forward(idx).data();
    models::KVCache cache = gpt.make_cache(2);
    gpt.forward_cached(idx.narrow(1, 0, 4), cache);
    const Tensor last = gpt.forward_cached(idx.narrow(1, 4, 3).contiguous(), cache);
    CHECK(cache.length == 7);
    CHECK(nn_test::close(last, full.select(1, 6), 1e-4, 1e-5));
    CHECK_THROWS_WITH_AS(gpt.forward_cached(idx.narrow(1, 0, 2).contiguous(), cache),
                         doctest::Contains("9 positions (7 cached + 2 new) do not fit block_size = 8"),
                         glimpse::Error);
  }

  TEST_CASE("gradcheck of a tiny GPT in float64, every parameter (biases on, tied head)") {
    manual_seed(12);
    models::GPT gpt({.block_size = 4, .vocab_size = 5, .n_layer = 2, .n_head = 2, .n_embd = 4, .bias = true});
    gpt.to(kFloat64);
    const Tensor idx = random_ids(2, 4, 5, 13), targets = random_ids(2, 4, 5, 14);
    auto fn = [&](const std::vector<Variable>&) { return models::GPT::loss(gpt.forward(idx), targets); };
    CHECK(nn_test::module_gradcheck(gpt, fn, {}) == "");
  }

  TEST_CASE("dropout is applied in training only") {
    manual_seed(15);
    auto config = tiny();
    config.dropout = 0.5;
    models::GPT gpt(config);
    const Tensor idx = random_ids(1, 8, 11, 16);
    NoGradGuard no_grad;
    const Tensor a = gpt.forward(idx).data(), b = gpt.forward(idx).data();
    CHECK(!equal(a, b));
    gpt.eval();
    CHECK(equal(gpt.forward(idx).data(), gpt.forward(idx).data()));
  }

  TEST_CASE("the tape of a baby GPT step holds no more than its activations, counted from the shapes") {
    // nanoGPT's baby GPT (examples/gpt): what the forward leaves alive for backward is, per block, in floats per
    // position: ln_1 out C, qkv 3C (q, k, v are views of it), attention out C, heads joined C, the residual sum C,
    // ln_2 out C, c_fc out 4C, gelu out 4C, the residual sum C: 17C. Before the blocks: the embeddings' sum C; after:
    // ln_f C and the logits V. Flash attention once kept contiguous copies of q, k and v as well (3C more per block,
    // 16 % of the step), and the tape once kept what no backward reads (each block's two c_proj outputs, which only
    // a residual add reads, and the token embedding: 2C per block and C, 11 %; autograd/variable.h, let_go): this
    // bound catches either.
    const models::GPTConfig config{};
    models::GPT model(config);
    const int64_t B = 12, T = config.block_size, C = config.n_embd, V = config.vocab_size;
    const Tensor idx = random_ids(B, T, V, 1), targets = random_ids(B, T, V, 2);
    const int64_t before = Storage::live_bytes();
    Variable loss = models::GPT::loss(model.forward(idx), targets);
    const int64_t held = Storage::live_bytes() - before;
    const int64_t floats = B * T * (config.n_layer * 17 * C + C + C + V);
    // LayerNorm's mean and 1/std, flash attention's log-sum-exp, the loss's small tensors: well under 3 %.
    const auto bound = static_cast<int64_t>(1.03 * static_cast<double>(floats * 4));
    MESSAGE("tape holds ", held, " bytes; bound from the shapes ", bound);
    CHECK(held <= bound);
    CHECK(held >= floats * 4 * 9 / 10);  // and it is the activations indeed (the count above is not loose)
    loss.backward();
  }

  TEST_CASE("errors name the call and the fix") {
    CHECK_THROWS_WITH_AS(models::GPT({.n_head = 3, .n_embd = 128}), doctest::Contains("not a multiple of n_head"),
                         glimpse::Error);
    models::GPT gpt(tiny());
    CHECK_THROWS_WITH_AS(gpt.forward(random_ids(1, 9, 11, 1)), doctest::Contains("do not fit block_size = 8"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(gpt.forward(ones({1, 3})), doctest::Contains("int64 tensor [B, T]"), glimpse::Error);
    CHECK_THROWS_WITH_AS(gpt.generate({}), doctest::Contains("prompt is empty"), glimpse::Error);
    CHECK_THROWS_WITH_AS(gpt.generate({11}), doctest::Contains("outside the vocabulary"), glimpse::Error);
  }
}
