// AdditiveAttention: Bahdanau attention (Neural Machine Translation by Jointly Learning to Align and Translate, 2014).
//
//   score(q, k) = vᵀ tanh(W1 k + W2 q)
//     W1: Linear(key_dim -> hidden, no bias)     parameter "W1.weight" [hidden, key_dim]
//     W2: Linear(query_dim -> hidden, no bias)   parameter "W2.weight" [hidden, query_dim]
//     v:  Linear(hidden -> 1, no bias)           parameter "v.weight"  [1, hidden]
//   weights = softmax over the keys (masked), context = weights @ values.
//
// A small feed-forward network judges every (query, key) pair, so query and keys may have different sizes and the
// score is not limited to a dot product. It costs a [B, Tq, Tk, hidden] intermediate. In Bahdanau's decoder the
// query is the PREVIOUS decoder state s_{t-1}, and keys = values = the encoder's (bidirectional) states.
//
//   nn::AdditiveAttention attn(/*query_dim=*/256, /*key_dim=*/512, /*hidden_dim=*/128);
//   auto [context, weights] = attn.forward(s_prev, encoder_states, encoder_states, src_padding_mask);
//
// A decoder asks the same keys once per output word, and W1 k never changes while they do: project them once per
// batch and pass the projection in (the tutorials' models do exactly this):
//   Variable projected = attn.project_keys(encoder_states);                       // [B, Tk, hidden], once
//   auto [ctx, w] = attn.forward_projected(s_prev, projected, encoder_states, mask);  // every step
#pragma once

#include <string>

#include "nn/attention.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace glimpse::nn {

struct AdditiveAttentionOptions {
  // W2 gets a bias ("W2.bias" [hidden]): score = vᵀ tanh(W1 k + W2 q + b). PyTorch tutorials build W2 as a default
  // nn.Linear, which has one; Bahdanau's paper has none (the default here).
  bool query_bias = false;
};

class AdditiveAttention : public Module {
 public:
  AdditiveAttention(int64_t query_dim, int64_t key_dim, int64_t hidden_dim,
                    const AdditiveAttentionOptions& options = {});

  // query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv], mask: [B, Tk] (1 = padded key) or
  // broadcast to [B, Tq, Tk] (int64 1 = masked, or float added)
  //   -> context [B, dv] / [B, Tq, dv], weights [B, Tk] / [B, Tq, Tk]
  AttentionOutput forward(const Variable& query, const Variable& keys, const Variable& values,
                          const Tensor& mask = Tensor()) const;

  // W1 k, the keys' half of every score, which forward recomputes on each call. keys: [B, Tk, dk] -> [B, Tk, hidden]
  Variable project_keys(const Variable& keys) const;

  // forward with the keys already projected by project_keys (the same numbers, without redoing W1 k).
  // query: [B, dq] or [B, Tq, dq], projected_keys: [B, Tk, hidden], values: [B, Tk, dv], mask as forward
  //   -> context [B, dv] / [B, Tq, dv], weights [B, Tk] / [B, Tq, Tk]
  AttentionOutput forward_projected(const Variable& query, const Variable& projected_keys, const Variable& values,
                                    const Tensor& mask = Tensor()) const;

  // The raw scores vᵀ tanh(W1 k + W2 q), before masking and softmax. query: [B, Tq, dq], keys: [B, Tk, dk]
  // -> [B, Tq, Tk]
  Variable score(const Variable& query, const Variable& keys) const;
  // The same from projected keys. query: [B, Tq, dq], projected_keys: [B, Tk, hidden] -> [B, Tq, Tk]
  Variable score_projected(const Variable& query, const Variable& projected_keys) const;

  std::string extra_repr() const override;

  Linear W1, W2, v;

 private:
  int64_t query_dim_, key_dim_, hidden_dim_;
};

}  // namespace glimpse::nn
