// models::GPT and PyTorch: reading a state_dict that nanoGPT's train.py saved (see gpt.h). The names and layouts are
// the same on both sides, so nothing is renamed or transposed here; only nanoGPT's extras are dropped.
#include <fmt/format.h>

#include <string_view>

#include "models/gpt.h"

namespace glimpse::models {

NamedTensors nanogpt_state_dict(const NamedTensors& state) {
  constexpr std::string_view kCompiled = "_orig_mod.";
  NamedTensors out;
  out.metadata = state.metadata;
  for (const auto& [key, t] : state.tensors) {
    std::string name = key.starts_with(kCompiled) ? key.substr(kCompiled.size()) : key;
    // The mask buffer is "attn.bias" [1, 1, block, block]; the attention's Linear biases are "attn.c_attn.bias" and
    // "attn.c_proj.bias", so a name ending in ".attn.bias" is the mask and nothing else.
    if (name.ends_with(".attn.bias") && t.defined() && t.dim() == 4) continue;
    out.add(std::move(name), t);
  }
  return out;
}

GPTConfig config_from_state_dict(const NamedTensors& state, int64_t n_head) {
  auto matrix = [&](const char* name) -> const Tensor& {
    const Tensor* t = state.find(name);
    check(t != nullptr && t->defined() && t->dim() == 2, "GPT: the state_dict has no 2-d \"{}\"; is it a nanoGPT "
          "model's (keys transformer.wte.weight, transformer.wpe.weight, transformer.h.<i>..., lm_head.weight)?",
          name);
    return *t;
  };
  const Tensor& wte = matrix("transformer.wte.weight");
  const Tensor& wpe = matrix("transformer.wpe.weight");
  int64_t n_layer = 0;
  while (state.contains(fmt::format("transformer.h.{}.attn.c_attn.weight", n_layer))) ++n_layer;
  check(n_layer > 0, "GPT: the state_dict has no transformer.h.0.attn.c_attn.weight: no blocks");
  return {.block_size = wpe.size(0), .vocab_size = wte.size(0), .n_layer = n_layer, .n_head = n_head,
          .n_embd = wte.size(1), .bias = state.contains("transformer.ln_f.bias")};
}

}  // namespace glimpse::models
