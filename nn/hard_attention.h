// HardAttention: attend to exactly ONE key per query, the best-scoring one (argmax) or one drawn from the attention
// distribution (stochastic hard attention, Xu et al., Show, Attend and Tell, 2015). The context is that key's value.
//
//   scores  = Luong's score(q, k) ("dot", "general" or "concat", held by the child "align", a LuongAttention)
//   probs   = softmax over the keys (masked)
//   j*      = argmax_j probs[j]   or   j* ~ Multinomial(probs)      (sampled in training mode when .sample = true)
//   context = values[j*],  weights = one_hot(j*)
//
// NO GRADIENT reaches the scores. j* is piecewise constant in the scores (a small change of a score either changes
// nothing or jumps to another key), so its derivative is 0 almost everywhere and undefined at the jumps. The context
// is computed as one_hot(j*) @ values with one_hot a constant: the VALUES get their gradient (the chosen row gets
// the full gradient, the others 0) but the score parameters ("align.*") get none. Ways to train it anyway, as the
// tutorials do:
//   - REINFORCE: sample j* (.sample = true), and add -reward · log_prob to the loss (log_prob = log probs[j*] is
//     returned and IS differentiable); subtract a baseline from the reward to tame the variance (Xu et al.).
//   - straight-through (.straight_through = true): the forward uses one_hot(j*), the backward pretends the weights
//     were the soft probs, so the scores get the soft-attention gradient (biased, but simple and often good enough).
//   - train soft attention (LuongAttention with the same score and parameter names: "W.weight" under "align"), then
//     switch to hard attention at inference.
// A query whose keys are all masked picks nothing: index -1, weights and context 0, log_prob 0.
//
//   nn::HardAttention attn(256, 256, {.score = "general", .sample = true});
//   auto out = attn.forward(h_t, encoder_states, encoder_states, src_padding_mask);   // out.context, out.log_prob
#pragma once

#include <string>

#include "nn/attention.h"
#include "nn/luong_attention.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace glimpse::nn {

struct HardAttentionOptions {
  std::string score = "general";  // "dot", "general" or "concat"
  int64_t hidden_dim = 0;         // H of the concat score; 0 = query_dim
  bool sample = false;            // in training mode, draw j* from probs (multinomial); argmax in eval or when false
  bool straight_through = false;  // backward as if the weights were the soft probs (gives the scores a gradient)
};

struct HardAttentionOutput {
  Variable context;  // [B, (Tq,) dv]: the chosen values
  Variable weights;  // [B, (Tq,) Tk]: one-hot rows (no gradient unless straight_through)
  Tensor indices;    // [B, (Tq)] int64: j*, or -1 for a fully masked query
  Variable log_prob; // [B, (Tq)]: log probs[j*], differentiable (for REINFORCE)
};

class HardAttention : public Module {
 public:
  HardAttention(int64_t query_dim, int64_t key_dim, const HardAttentionOptions& options = {});

  // query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv], mask: [B, Tk] (1 = padded key) or
  // broadcast to [B, Tq, Tk]; gen: used when sampling
  //   -> context [B, (Tq,) dv], weights [B, (Tq,) Tk], indices [B, (Tq)], log_prob [B, (Tq)]
  HardAttentionOutput forward(const Variable& query, const Variable& keys, const Variable& values,
                              const Tensor& mask = Tensor(), Generator& gen = default_generator()) const;

  std::string extra_repr() const override;

  LuongAttention align;

 private:
  int64_t query_dim_, key_dim_;
  bool sample_, straight_through_;
};

}  // namespace glimpse::nn
