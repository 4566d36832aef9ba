// models::GPT: the blocks, nanoGPT's initialisation, the forward (with attention weights and a KV cache), sampling.
#include "models/gpt.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/grad_mode.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_loss.h"
#include "nn/attention.h"
#include "nn/init.h"

namespace glimpse::models {
namespace {

// Dropout only where it does something: in training with p > 0 (an identity op would still cost a tape entry).
Variable maybe_dropout(const Variable& x, double p, bool training) {
  return training && p > 0.0 ? dropout(x, p, true) : x;
}

void check_config(const GPTConfig& c) {
  check(c.block_size > 0 && c.vocab_size > 0 && c.n_layer > 0 && c.n_head > 0 && c.n_embd > 0,
        "GPT: block_size ({}), vocab_size ({}), n_layer ({}), n_head ({}) and n_embd ({}) must all be positive",
        c.block_size, c.vocab_size, c.n_layer, c.n_head, c.n_embd);
  check(c.n_embd % c.n_head == 0, "GPT: n_embd = {} is not a multiple of n_head = {}; each head gets n_embd / n_head "
        "features, so pick e.g. n_embd = {}", c.n_embd, c.n_head, (c.n_embd / c.n_head + 1) * c.n_head);
  check(c.dropout >= 0.0 && c.dropout < 1.0, "GPT: dropout must be in [0, 1), got {}", c.dropout);
}

}  // namespace

// ---- the blocks

CausalSelfAttention::CausalSelfAttention(const GPTConfig& config)
    : Module("CausalSelfAttention"),
      c_attn(config.n_embd, 3 * config.n_embd, config.bias),
      c_proj(config.n_embd, config.n_embd, config.bias),
      n_head(config.n_head),
      n_embd(config.n_embd),
      dropout(config.dropout) {
  register_module("c_attn", c_attn);
  register_module("c_proj", c_proj);
}

// x: [B, T, C] -> [B, T, C]
Variable CausalSelfAttention::forward(const Variable& x, Tensor* weights, KVCache* cache, int layer) const {
  const int64_t B = x.size(0), T = x.size(1), C = n_embd, hs = C / n_head;
  Variable qkv = c_attn.forward(x);  // [B, T, 3C]
  // Each of q, k, v is a view of qkv: narrow to its C columns, split C into heads, move heads before time.
  auto heads = [&](int64_t i) { return qkv.narrow(2, i * C, C).view({B, T, n_head, hs}).transpose(1, 2); };
  Variable q = heads(0), k = heads(1), v = heads(2);  // [B, nh, T, hs]
  // Without a request for the weights, attention runs flash (no [B, nh, T, T] matrix, nn/attention.h).
  nn::SdpaOptions options{.dropout_p = dropout, .is_causal = true, .training = is_training(),
                          .need_weights = weights != nullptr};
  if (cache != nullptr) {
    // Append this step's keys and values, then attend over everything cached. Query i is position past + i, so it
    // sees keys 0..past + i: the last T rows of a causal mask over all past + T positions.
    const int64_t past = cache->length, total = past + T;
    Tensor& kc = cache->k[static_cast<size_t>(layer)];
    Tensor& vc = cache->v[static_cast<size_t>(layer)];
    kc.narrow(2, past, T).copy_(k.data());
    vc.narrow(2, past, T).copy_(v.data());
    k = Variable(kc.narrow(2, 0, total));
    v = Variable(vc.narrow(2, 0, total));
    options.is_causal = past == 0;
    if (past > 0 && T > 1) options.attn_mask = nn::causal_mask(total).narrow(0, past, T);
  }
  auto [ctx, w] = nn::scaled_dot_product_attention(q, k, v, options);  // ctx: [B, nh, T, hs], w: [B, nh, T, Tk]
  if (weights != nullptr) *weights = w.data();
  Variable y = ctx.transpose(1, 2).reshape({B, T, C});  // heads side by side again (one copy)
  return maybe_dropout(c_proj.forward(y), dropout, is_training());
}

MLP::MLP(const GPTConfig& config)
    : Module("MLP"),
      c_fc(config.n_embd, 4 * config.n_embd, config.bias),
      c_proj(4 * config.n_embd, config.n_embd, config.bias),
      dropout(config.dropout) {
  register_module("c_fc", c_fc);
  register_module("c_proj", c_proj);
}

// x: [B, T, C] -> [B, T, C]
Variable MLP::forward(const Variable& x) const {
  return maybe_dropout(c_proj.forward(gelu(c_fc.forward(x))), dropout, is_training());
}

Block::Block(const GPTConfig& config)
    : Module("Block"),
      ln_1({config.n_embd}, 1e-5, true, config.bias),
      attn(config),
      ln_2({config.n_embd}, 1e-5, true, config.bias),
      mlp(config) {
  register_module("ln_1", ln_1);
  register_module("attn", attn);
  register_module("ln_2", ln_2);
  register_module("mlp", mlp);
}

// x: [B, T, C] -> [B, T, C]
Variable Block::forward(const Variable& x, Tensor* weights, KVCache* cache, int layer) const {
  Variable h = x + attn.forward(ln_1.forward(x), weights, cache, layer);
  return h + mlp.forward(ln_2.forward(h));
}

// ---- the model

GPT::Transformer::Transformer(const GPTConfig& config)
    : Module("Transformer"),
      wte(config.vocab_size, config.n_embd),
      wpe(config.block_size, config.n_embd),
      ln_f({config.n_embd}, 1e-5, true, config.bias) {
  register_module("wte", wte);
  register_module("wpe", wpe);
  register_module("h", h);
  for (int64_t i = 0; i < config.n_layer; ++i) h.push_back(std::make_unique<Block>(config));
  register_module("ln_f", ln_f);
}

GPT::GPT(const GPTConfig& config)
    : Module("GPT"),
      config((check_config(config), config)),
      transformer(config),
      lm_head(config.n_embd, config.vocab_size, /*bias=*/false) {
  register_module("transformer", transformer);
  register_module("lm_head", lm_head);
  // Weight tying, as nanoGPT (`self.transformer.wte.weight = self.lm_head.weight`): reading a token in and scoring
  // it out use one matrix, which saves vocab_size * n_embd parameters and helps small models.
  transformer.wte.weight = transformer.wte.tie_parameter("weight", lm_head.weight);
  // nanoGPT's _init_weights: every matrix (Linear weights, embeddings) ~ N(0, 0.02), biases 0, LayerNorms 1 and 0;
  // then each residual projection's std is scaled by 1/√(2 n_layer), GPT-2's way of keeping the residual stream's
  // variance from growing with depth (each block adds two branches to it).
  const double proj_std = 0.02 / std::sqrt(2.0 * static_cast<double>(config.n_layer));
  for (const auto& [name, p] : named_parameters()) {
    if (p.dim() >= 2) {
      const bool residual = name.ends_with("c_proj.weight");
      nn::init::normal_(p, 0.0, residual ? proj_std : 0.02);
    } else if (name.ends_with(".bias")) {
      nn::init::zeros_(p);
    }
  }
}

// idx: [B, T] -> [B, T, C]
Variable GPT::hidden(const Tensor& idx, std::vector<Tensor>* attention, KVCache* cache) const {
  check(idx.defined() && idx.dtype() == kInt64 && idx.dim() == 2,
        "GPT.forward: idx must be an int64 tensor [B, T] of token ids, got {} ({})",
        idx.defined() ? fmt::format("{}", idx.shape()) : "undefined", idx.defined() ? dtype_name(idx.dtype()) : "-");
  const int64_t T = idx.size(1), past = cache != nullptr ? cache->length : 0;
  check(T >= 1, "GPT.forward: idx {} holds no tokens", idx.shape());
  check(past + T <= config.block_size,
        "GPT.forward: {} positions ({} cached + {} new) do not fit block_size = {}; the model has learned positions "
        "0..{} only, so crop the context to its last {} tokens", past + T, past, T, config.block_size,
        config.block_size - 1, config.block_size);
  const Tensor pos = arange(static_cast<double>(past), static_cast<double>(past + T));  // [T] int64
  // tok: [B, T, C] + pos: [T, C], broadcast over the batch
  Variable x = maybe_dropout(transformer.wte.forward(idx) + transformer.wpe.forward(pos), config.dropout,
                             is_training());
  if (attention != nullptr) attention->assign(static_cast<size_t>(config.n_layer), Tensor());
  for (size_t i = 0; i < transformer.h.size(); ++i) {
    x = transformer.h[i].forward(x, attention != nullptr ? &(*attention)[i] : nullptr, cache, static_cast<int>(i));
  }
  return transformer.ln_f.forward(x);
}

// idx: [B, T] -> [B, T, vocab_size]
Variable GPT::forward(const Tensor& idx, std::vector<Tensor>* attention) const {
  return lm_head.forward(hidden(idx, attention, nullptr));
}

// logits: [B, T, V], targets: [B, T] -> []
Variable GPT::loss(const Variable& logits, const Tensor& targets) {
  check(logits.dim() == 3 && targets.defined() && targets.dim() == 2 && targets.size(0) == logits.size(0) &&
            targets.size(1) == logits.size(1),
        "GPT.loss: logits {} and targets {} must be [B, T, V] and [B, T]", logits.shape(),
        targets.defined() ? fmt::format("{}", targets.shape()) : "undefined");
  return cross_entropy(logits.view({-1, logits.size(2)}), targets.reshape({-1}));
}

KVCache GPT::make_cache(int64_t B) const {
  check(B >= 1, "GPT.make_cache: batch size must be >= 1, got {}", B);
  KVCache cache;
  const Shape shape{B, config.n_head, config.block_size, config.n_embd / config.n_head};
  for (int64_t i = 0; i < config.n_layer; ++i) {
    cache.k.push_back(zeros(shape, lm_head.weight.dtype()));
    cache.v.push_back(zeros(shape, lm_head.weight.dtype()));
  }
  return cache;
}

// idx: [B, T] -> [B, V] (the last position's logits)
Tensor GPT::forward_cached(const Tensor& idx, KVCache& cache) const {
  check(cache.k.size() == static_cast<size_t>(config.n_layer) && cache.v.size() == cache.k.size(),
        "GPT.forward_cached: the cache has {} layers but the model {}; make it with make_cache()", cache.k.size(),
        config.n_layer);
  check(idx.defined() && idx.dim() == 2 && cache.k[0].size(0) == idx.size(0),
        "GPT.forward_cached: idx {} must be [B, T] with the cache's batch size {}",
        idx.defined() ? fmt::format("{}", idx.shape()) : "undefined", cache.k[0].size(0));
  NoGradGuard no_grad;
  Variable h = hidden(idx, nullptr, &cache);  // checks that the positions fit, before the cache grows
  cache.length += idx.size(1);
  const int64_t T = idx.size(1);
  return lm_head.forward(h.narrow(1, T - 1, 1)).data().reshape({idx.size(0), config.vocab_size});
}

namespace {

// One token from a row of logits: greedy at temperature 0, else softmax(logits / temperature) over the top_k.
int64_t sample_token(const Tensor& logits_row, double temperature, int64_t top_k, Generator& gen) {
  const Tensor row = logits_row.to(kFloat64).contiguous();
  const double* l = row.data<double>();
  const int64_t V = row.numel();
  if (temperature == 0.0) return std::max_element(l, l + V) - l;
  std::vector<double> z(l, l + V);
  for (double& x : z) x /= temperature;
  double cut = -std::numeric_limits<double>::infinity();
  if (top_k > 0 && top_k < V) {  // nanoGPT: logits below the k-th largest become -inf (ties with it stay)
    std::vector<double> sorted = z;
    std::nth_element(sorted.begin(), sorted.begin() + (top_k - 1), sorted.end(), std::greater<>());
    cut = sorted[static_cast<size_t>(top_k - 1)];
  }
  const double mx = *std::max_element(z.begin(), z.end());
  double total = 0.0;
  for (double& x : z) total += (x = x >= cut ? std::exp(x - mx) : 0.0);
  double u = gen.uniform() * total;
  for (int64_t i = 0; i < V; ++i) {
    if (z[static_cast<size_t>(i)] > 0.0 && (u -= z[static_cast<size_t>(i)]) < 0.0) return i;
  }
  return std::max_element(z.begin(), z.end()) - z.begin();  // u landed on the rounding edge: the last kept token
}

}  // namespace

std::vector<int64_t> GPT::generate(const std::vector<int64_t>& prompt, const GenerateOptions& options) {
  check(!prompt.empty(), "GPT.generate: the prompt is empty; give at least one token to continue from");
  check(options.max_new_tokens >= 0 && options.temperature >= 0.0 && options.top_k >= 0,
        "GPT.generate: max_new_tokens ({}), temperature ({}) and top_k ({}) must be >= 0", options.max_new_tokens,
        options.temperature, options.top_k);
  for (int64_t id : prompt) {
    check(id >= 0 && id < config.vocab_size, "GPT.generate: prompt token {} is outside the vocabulary [0, {})", id,
          config.vocab_size);
  }
  Generator& gen = options.generator != nullptr ? *options.generator : default_generator();
  NoGradGuard no_grad;
  // Eval mode for the duration (no dropout), restored however we leave.
  struct RestoreMode {
    GPT& model;
    bool was_training;
    ~RestoreMode() { model.train(was_training); }
  } restore{*this, is_training()};
  eval();
  std::vector<int64_t> seq = prompt;
  const int64_t keep = std::max<int64_t>(1, config.block_size / 2);
  int64_t start = 0;  // the window is seq[start, end)
  KVCache cache;
  if (options.use_kv_cache) cache = make_cache(1);
  auto ids = [&](int64_t from) {
    std::vector<int64_t> part(seq.begin() + from, seq.end());
    return tensor(part, {1, static_cast<int64_t>(part.size())});
  };
  for (int64_t n = 0; n < options.max_new_tokens; ++n) {
    const int64_t end = static_cast<int64_t>(seq.size());
    if (end - start > config.block_size) {
      start = end - keep;
      cache.length = 0;  // every position moved: the cached keys are stale
    }
    Tensor logits;
    if (options.use_kv_cache) {
      logits = forward_cached(ids(start + cache.length), cache);  // only the tokens not yet cached
    } else {
      Variable h = hidden(ids(start), nullptr, nullptr);
      logits = lm_head.forward(h.narrow(1, h.size(1) - 1, 1)).data();
    }
    seq.push_back(sample_token(logits.reshape({-1}), options.temperature, options.top_k, gen));
  }
  return seq;
}

int64_t GPT::get_num_params(bool non_embedding) const {
  return num_parameters() - (non_embedding ? transformer.wpe.weight.numel() : 0);
}

std::string GPT::extra_repr() const {
  return fmt::format("block_size={}, vocab_size={}, n_layer={}, n_head={}, n_embd={}, dropout={}, bias={}",
                     config.block_size, config.vocab_size, config.n_layer, config.n_head, config.n_embd,
                     config.dropout, config.bias ? "True" : "False");
}

}  // namespace glimpse::models
