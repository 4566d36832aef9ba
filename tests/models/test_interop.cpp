// Tests for PyTorch interop (issue 18), in the style of llm.c's test_gpt2: a tiny nanoGPT, Seq2Seq and Transformer ran
// once in PyTorch (tests/models/reference/make_*_reference.py, committed with their .safetensors output); glimpse loads
// the PyTorch state_dict by name, with no renaming, and must reproduce the logits, the loss and every parameter's
// gradient in float32. Also: a glimpse checkpoint has exactly the PyTorch model's keys, and a checkpoint that does not
// fit is refused with every problem listed and the model unchanged.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "models/gpt.h"
#include "models/seq2seq.h"
#include "models/transformer.h"
#include "nn/helpers.h"
#include "tensor/safetensors.h"

using namespace glimpse;

namespace {

// The tolerances, float32 against float32: PyTorch and glimpse sum in different orders (blocked GEMMs, fused
// kernels), so results differ by a few float32 roundings per reduction. |a - b| <= kAtol + kRtol |b| elementwise.
constexpr double kRtol = 1e-5, kAtol = 1e-6;

NamedTensors load_reference(const std::string& name) {
  return load_safetensors(std::string(GLIMPSE_SOURCE_DIR) + "/tests/models/reference/" + name + ".safetensors");
}

// The entries under "<prefix>." with the prefix taken off.
NamedTensors section(const NamedTensors& all, const std::string& prefix) {
  NamedTensors out;
  for (const auto& [name, t] : all.tensors) {
    if (name.starts_with(prefix + ".")) out.add(name.substr(prefix.size() + 1), t);
  }
  return out;
}

std::vector<std::string> names_of(const NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& [name, _] : named.tensors) out.push_back(name);
  return out;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double worst = 0.0;
  auto x = a.tolist(), y = b.tolist();
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

// The model saved by glimpse is the PyTorch state_dict it was loaded from: the same keys in the same order, the same
// values. The file stays in the build folder, for tests/models/reference/check_glimpse_checkpoint.py (PyTorch's
// load_state_dict(strict=True) on it, run by hand).
void check_saved_like(const nn::Module& model, const NamedTensors& state, const std::string& file) {
  const std::string path = std::string(GLIMPSE_BINARY_DIR) + "/interop_" + file + ".safetensors";
  model.save(path);
  const NamedTensors saved = load_safetensors(path);
  REQUIRE(names_of(saved) == names_of(state));
  for (size_t i = 0; i < saved.size(); ++i) {
    INFO(saved.tensors[i].first);
    CHECK(equal(saved.tensors[i].second, state.tensors[i].second));
  }
}

// Every parameter's gradient against the reference's "grad.<name>": one check per parameter, so a failure names it.
void check_gradients(const nn::Module& model, const NamedTensors& ref) {
  double worst = 0.0;
  for (const auto& [name, p] : model.named_parameters()) {
    INFO("gradient of ", name);
    REQUIRE(p.grad().defined());
    const Tensor& expected = ref.at("grad." + name);
    CHECK(nn_test::close(p.grad(), expected, kRtol, kAtol));
    worst = std::max(worst, max_abs_diff(p.grad(), expected));
  }
  MESSAGE("largest gradient difference from PyTorch: ", worst);
}

void check_gpt_reference(const std::string& file, bool bias) {
  const NamedTensors ref = load_reference(file);
  const NamedTensors state = section(ref, "model");
  models::GPT gpt({.block_size = 8, .vocab_size = 11, .n_layer = 2, .n_head = 2, .n_embd = 8, .bias = bias});
  // The same keys in the same order as nanoGPT's state_dict(), the tied weight under both of its names.
  CHECK(names_of(gpt.state_dict()) == names_of(state));
  gpt.load_state_dict(state);  // strict
  check_saved_like(gpt, state, file);
  const Variable logits = gpt.forward(ref.at("idx"));
  const Variable loss = models::GPT::loss(logits, ref.at("targets"));
  loss.backward();
  CHECK(nn_test::close(logits.data(), ref.at("logits"), kRtol, kAtol));
  CHECK(nn_test::close(loss.data(), ref.at("loss"), kRtol, kAtol));
  MESSAGE(file, ": logits differ by at most ", max_abs_diff(logits.data(), ref.at("logits")), ", the loss by ",
          max_abs_diff(loss.data(), ref.at("loss")));
  check_gradients(gpt, ref);
}

std::vector<int64_t> lengths_of(const Tensor& t) {
  std::vector<int64_t> out;
  for (double l : t.tolist()) out.push_back(static_cast<int64_t>(l));
  return out;
}

void check_transformer_reference(const std::string& file, const models::TransformerOptions& options) {
  const NamedTensors ref = load_reference(file);
  const NamedTensors state = section(ref, "model");
  models::Transformer model(options);
  CHECK(names_of(model.state_dict()) == names_of(state));
  model.load_state_dict(state);
  check_saved_like(model, state, file);
  const auto enc = model.encode(ref.at("src"), lengths_of(ref.at("src_lengths")));
  const Variable logits = model.decode(enc, ref.at("tgt_in"));
  const Variable loss = model.loss(ref.at("src"), lengths_of(ref.at("src_lengths")), ref.at("tgt_in"),
                                   ref.at("tgt_out"), 0.1);
  loss.backward();
  CHECK(nn_test::close(logits.data(), ref.at("logits"), kRtol, kAtol));
  CHECK(nn_test::close(loss.data(), ref.at("loss"), kRtol, kAtol));
  MESSAGE(file, ": logits differ by at most ", max_abs_diff(logits.data(), ref.at("logits")), ", the loss by ",
          max_abs_diff(loss.data(), ref.at("loss")));
  check_gradients(model, ref);
}

}  // namespace

TEST_SUITE("interop") {
  TEST_CASE("a nanoGPT state_dict loads by name and glimpse reproduces its logits, loss and every gradient") {
    check_gpt_reference("gpt", /*bias=*/true);
  }

  TEST_CASE("the same without biases (nanoGPT's default bias=False: LayerNorms without bias)") {
    check_gpt_reference("gpt_nobias", /*bias=*/false);
  }

  TEST_CASE("a PyTorch Seq2Seq with additive attention loads by name and glimpse reproduces its loss and gradients") {
    const NamedTensors ref = load_reference("seq2seq");
    const NamedTensors state = section(ref, "model");
    models::Seq2Seq model({.src_vocab = 9, .tgt_vocab = 10, .emb = 6, .hidden = 8, .attention = "additive"});
    CHECK(names_of(model.state_dict()) == names_of(state));
    model.load_state_dict(state);
    check_saved_like(model, state, "seq2seq");
    const Variable loss = model.loss(ref.at("src"), lengths_of(ref.at("src_lengths")), ref.at("tgt_in"),
                                     ref.at("tgt_out"));
    loss.backward();
    CHECK(nn_test::close(loss.data(), ref.at("loss"), kRtol, kAtol));
    MESSAGE("seq2seq: the loss differs by ", max_abs_diff(loss.data(), ref.at("loss")));
    check_gradients(model, ref);
  }

  TEST_CASE("a glimpse GPT checkpoint holds nanoGPT's keys and reloads: the tied weight is written under both names") {
    manual_seed(5);
    models::GPT a({.block_size = 8, .vocab_size = 11, .n_layer = 2, .n_head = 2, .n_embd = 8});
    const std::string path = nn_test::temp_path("interop_gpt.safetensors");
    a.save(path);
    const NamedTensors file = load_safetensors(path);
    CHECK(names_of(file) == names_of(section(load_reference("gpt_nobias"), "model")));
    CHECK(equal(file.at("lm_head.weight"), file.at("transformer.wte.weight")));
    manual_seed(6);
    models::GPT b({.block_size = 8, .vocab_size = 11, .n_layer = 2, .n_head = 2, .n_embd = 8});
    b.load(path);
    CHECK(equal(b.lm_head.weight.data(), a.transformer.wte.weight.data()));
    CHECK(b.lm_head.weight.same(b.transformer.wte.weight));  // still tied
  }

  TEST_CASE("nanogpt_state_dict drops torch.compile's prefix and the causal-mask buffers of torch < 2.0") {
    const NamedTensors state = section(load_reference("gpt"), "model");
    NamedTensors saved;  // as nanoGPT's train.py saves a compiled model on an old torch
    for (const auto& [name, t] : state.tensors) saved.add("_orig_mod." + name, t);
    saved.add("_orig_mod.transformer.h.0.attn.bias", ones({1, 1, 8, 8}));
    saved.add("transformer.h.1.attn.bias", ones({1, 1, 8, 8}));
    const NamedTensors clean = models::nanogpt_state_dict(saved);
    CHECK(names_of(clean) == names_of(state));
    const models::GPTConfig c = models::config_from_state_dict(clean, 2);
    CHECK(c.vocab_size == 11);
    CHECK(c.block_size == 8);
    CHECK(c.n_layer == 2);
    CHECK(c.n_embd == 8);
    CHECK(c.n_head == 2);
    CHECK(c.bias);
    CHECK_FALSE(models::config_from_state_dict(section(load_reference("gpt_nobias"), "model"), 2).bias);
    CHECK_THROWS_WITH_AS(models::config_from_state_dict(NamedTensors{}, 2),
                         doctest::Contains("no 2-d \"transformer.wte.weight\""), Error);
  }

  TEST_CASE("a checkpoint that does not fit lists the missing, unexpected and mis-shaped keys and loads nothing") {
    const NamedTensors state = section(load_reference("gpt"), "model");
    manual_seed(7);
    // One layer fewer, and no biases: h.1 is unexpected, the biases too; vocabulary 12: wte is mis-shaped.
    models::GPT gpt({.block_size = 8, .vocab_size = 12, .n_layer = 1, .n_head = 2, .n_embd = 8});
    const auto before = nn_test::snapshot(gpt);
    try {
      gpt.load_state_dict(state);
      FAIL("load_state_dict accepted a checkpoint of another shape");
    } catch (const Error& e) {
      const std::string msg = e.what();
      CHECK(msg.find("nothing was loaded") != std::string::npos);
      CHECK(msg.find("unexpected keys: ") != std::string::npos);
      CHECK(msg.find("\"transformer.h.1.attn.c_attn.weight\"") != std::string::npos);
      CHECK(msg.find("\"transformer.h.0.ln_1.bias\"") != std::string::npos);
      CHECK(msg.find("\"transformer.wte.weight\" is [11, 8] float32 in the checkpoint but [12, 8] float32") !=
            std::string::npos);
    }
    CHECK(nn_test::same_as_snapshot(gpt, before));
  }

  TEST_CASE("a PyTorch twin Transformer (post-norm, tied) loads by name: logits, loss and gradients reproduced") {
    check_transformer_reference("transformer", {.src_vocab = 7, .tgt_vocab = 9, .d_model = 8, .heads = 2,
                                                .layers = 2, .ff = 16, .dropout = 0.0, .max_positions = 64});
  }

  TEST_CASE("the same for a pre-norm Transformer with untied output weights") {
    check_transformer_reference("transformer_prenorm",
                                {.src_vocab = 7, .tgt_vocab = 9, .d_model = 8, .heads = 2, .layers = 1, .ff = 16,
                                 .dropout = 0.0, .pre_norm = true, .tie_embeddings = false, .max_positions = 64});
  }
}
