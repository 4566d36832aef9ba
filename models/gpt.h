// models::GPT: nanoGPT's decoder-only Transformer (Karpathy's model.py), with the same parameter names, the same
// initialisation and the same numbers, plus two things nanoGPT lacks: generation with a KV cache, and the attention
// weights of every layer and head on request.
//
//   models::GPT gpt({.block_size = 64, .vocab_size = 65, .n_layer = 4, .n_head = 4, .n_embd = 128});
//   Variable logits = gpt.forward(idx);                           // idx: [B, T] int64 -> [B, T, vocab_size]
//   Variable loss = models::GPT::loss(logits, targets);           // targets: [B, T] int64
//   auto ids = gpt.generate(prompt, {.max_new_tokens = 200, .temperature = 0.8, .top_k = 5});
//
// The state_dict is nanoGPT's, key for key (transformer.wte.weight, transformer.h.0.attn.c_attn.weight, ...,
// lm_head.weight), with the same shapes and layouts (c_attn's rows are q, k, v; Linear weights are [out, in]), so a
// checkpoint saved here loads into nanoGPT's model.py with load_state_dict(strict=True) and the reverse. Like
// nanoGPT, lm_head.weight IS transformer.wte.weight (weight tying): one Variable, in state_dict() under both names
// (as PyTorch lists it), in parameters() once. nanogpt_state_dict and config_from_state_dict (gpt_pytorch.cpp) read
// a state_dict saved by nanoGPT's train.py.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module_list.h"
#include "tensor/random.h"

namespace glimpse::models {

// nanoGPT's GPTConfig (same names). The defaults are its CPU "baby GPT" for tiny shakespeare.
struct GPTConfig {
  int64_t block_size = 64;  // the longest context (the number of learned positions)
  int64_t vocab_size = 65;
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 128;     // must be a multiple of n_head
  double dropout = 0.0;     // on the embeddings, the attention weights and each residual branch (training only)
  bool bias = false;        // biases in the Linear layers and LayerNorms (nanoGPT's train.py default: none)
};

// The keys and values of every layer for the positions seen so far, so that each new token attends to them instead of
// re-running the whole context. Each layer's buffers are [B, n_head, block_size, head_size]; `length` are filled.
struct KVCache {
  std::vector<Tensor> k, v;  // one per layer
  int64_t length = 0;
};

// Causal multi-head self-attention: one Linear makes q, k and v for all heads, one projects the heads back.
class CausalSelfAttention : public nn::Module {
 public:
  explicit CausalSelfAttention(const GPTConfig& config);
  // x: [B, T, C] -> [B, T, C]. With `weights`, also stores the attention weights [B, n_head, T, T] there. With a
  // `cache`, the T positions follow the cache's `length` earlier ones and attend to them too (no gradient).
  Variable forward(const Variable& x, Tensor* weights = nullptr, KVCache* cache = nullptr, int layer = 0) const;

  nn::Linear c_attn, c_proj;
  int64_t n_head, n_embd;
  double dropout;
};

// The position-wise MLP: C -> 4C -> GELU (exact, as nanoGPT's nn.GELU()) -> C.
class MLP : public nn::Module {
 public:
  explicit MLP(const GPTConfig& config);
  // x: [B, T, C] -> [B, T, C]
  Variable forward(const Variable& x) const;

  nn::Linear c_fc, c_proj;
  double dropout;
};

// A pre-LayerNorm Transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
class Block : public nn::Module {
 public:
  explicit Block(const GPTConfig& config);
  // x: [B, T, C] -> [B, T, C] (weights and cache as CausalSelfAttention::forward)
  Variable forward(const Variable& x, Tensor* weights = nullptr, KVCache* cache = nullptr, int layer = 0) const;

  nn::LayerNorm ln_1;
  CausalSelfAttention attn;
  nn::LayerNorm ln_2;
  MLP mlp;
};

struct GenerateOptions {
  int64_t max_new_tokens = 100;
  double temperature = 1.0;  // logits are divided by it; 0 picks the most likely token (greedy)
  int64_t top_k = 0;         // keep only the k most likely tokens (0 = all)
  bool use_kv_cache = true;  // false re-runs the whole context every step (nanoGPT's way), for comparison
  Generator* generator = nullptr;  // for sampling; nullptr = the default generator
};

class GPT : public nn::Module {
 public:
  explicit GPT(const GPTConfig& config);

  // idx: [B, T] int64 (T <= block_size) -> logits [B, T, vocab_size]. With `attention`, it is filled with one tensor
  // per layer, [B, n_head, T, T]: how much each position attends to each earlier one, per head.
  Variable forward(const Tensor& idx, std::vector<Tensor>* attention = nullptr) const;
  // Cross-entropy of logits [B, T, V] against targets [B, T] int64 -> [] (nanoGPT's loss, mean over all positions).
  static Variable loss(const Variable& logits, const Tensor& targets);

  // Continues `prompt` (token ids, at least one) by max_new_tokens and returns the whole sequence. Runs in eval mode
  // without recording (the training flag is restored after). The context window: positions are absolute (learned
  // embeddings for 0..block_size-1), so once the sequence outgrows the block, the model keeps its last block_size / 2
  // tokens and carries on from them (the cache is then refilled once). nanoGPT drops one token per step instead, which
  // would shift every position and force a cache to be rebuilt at every step; both paths here use the same window,
  // so with and without the cache they see the same context and give the same tokens.
  std::vector<int64_t> generate(const std::vector<int64_t>& prompt, const GenerateOptions& options = {});

  // An empty cache for batch size B, sized for this model.
  KVCache make_cache(int64_t B = 1) const;
  // idx: [B, T] int64, the next T positions after cache.length -> logits of the last position [B, vocab_size];
  // appends their keys and values to the cache. No gradient is recorded.
  Tensor forward_cached(const Tensor& idx, KVCache& cache) const;

  // nanoGPT's get_num_params: every parameter once (the tied head is the embedding), minus the position embeddings
  // when non_embedding (as nanoGPT reports it).
  int64_t get_num_params(bool non_embedding = true) const;

  std::string extra_repr() const override;

  // nanoGPT's module tree: transformer.{wte, wpe, h, ln_f} and lm_head.
  struct Transformer : nn::Module {
    explicit Transformer(const GPTConfig& config);
    nn::Embedding wte, wpe;
    nn::ModuleList<Block> h;
    nn::LayerNorm ln_f;
  };

  GPTConfig config;
  Transformer transformer;
  nn::Linear lm_head;

 private:
  // idx: [B, T] -> the final LayerNorm's output [B, T, C] (positions start at the cache's length when given)
  Variable hidden(const Tensor& idx, std::vector<Tensor>* attention, KVCache* cache) const;
};

// ---- PyTorch checkpoints (gpt_pytorch.cpp)

// A state_dict as nanoGPT's train.py keeps it, ready for GPT::load_state_dict: drops the "_orig_mod." prefix that
// torch.compile adds to every key, and the causal masks nanoGPT registers as buffers "transformer.h.<i>.attn.bias"
// when its torch has no flash attention (< 2.0); glimpse builds its mask on the fly.
NamedTensors nanogpt_state_dict(const NamedTensors& state);
// The GPTConfig of a nanoGPT state_dict, from its shapes: vocab_size and n_embd from transformer.wte.weight,
// block_size from transformer.wpe.weight, n_layer from the blocks present, bias from transformer.ln_f.bias. The
// number of heads leaves no trace in the weights: it comes from `n_head`. An Error names what is missing.
GPTConfig config_from_state_dict(const NamedTensors& state, int64_t n_head);

}  // namespace glimpse::models
