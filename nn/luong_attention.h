// LuongAttention: global attention with Luong et al.'s three score functions (Effective Approaches to
// Attention-based Neural Machine Translation, 2015).
//
//   dot      score(q, k) = qᵀ k                 no parameters; needs query_dim == key_dim
//   general  score(q, k) = qᵀ W k               W: Linear(key_dim -> query_dim, no bias), parameter "W.weight"
//   concat   score(q, k) = vᵀ tanh(W [q; k])    W: Linear(query_dim + key_dim -> hidden, no bias), v: Linear(hidden
//                                               -> 1, no bias), parameters "W.weight" and "v.weight"
// then weights = softmax over the keys (masked) and context = weights @ values. Scores are not scaled (Luong's
// definition; scaled_dot_product_attention is the scaled one).
//
// In Luong's decoder the query is the decoder's CURRENT hidden state h_t (Bahdanau uses the previous one), and the
// context then feeds an "attentional" state h̃_t = tanh(W_c [c_t; h_t]); that last layer is the decoder's, not the
// attention's, so it is not here.
//
//   nn::LuongAttention attn(256, 256, {.score = "general"});
//   auto [context, weights] = attn.forward(h_t, encoder_states, encoder_states, src_padding_mask);
#pragma once

#include <memory>
#include <string>

#include "nn/attention.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace glimpse::nn {

struct LuongAttentionOptions {
  std::string score = "general";  // "dot", "general" or "concat"
  int64_t hidden_dim = 0;         // H of the concat score; 0 = query_dim
};

// The checks LuongAttention's constructor makes, with `layer` named in the errors (LocalAttention and HardAttention
// call it before building their LuongAttention, so their errors carry their own name).
void check_luong_options(int64_t query_dim, int64_t key_dim, const LuongAttentionOptions& options, const char* layer);

class LuongAttention : public Module {
 public:
  LuongAttention(int64_t query_dim, int64_t key_dim, const LuongAttentionOptions& options = {});

  // query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv], mask: [B, Tk] (1 = padded key) or
  // broadcast to [B, Tq, Tk] (int64 1 = masked, or float added)
  //   -> context [B, dv] / [B, Tq, dv], weights [B, Tk] / [B, Tq, Tk]
  AttentionOutput forward(const Variable& query, const Variable& keys, const Variable& values,
                          const Tensor& mask = Tensor()) const;

  // The raw scores, before masking and softmax (LocalAttention and HardAttention build on them).
  // query: [B, Tq, dq], keys: [B, Tk, dk] -> [B, Tq, Tk]
  Variable score(const Variable& query, const Variable& keys) const;

  std::string extra_repr() const override;

  int64_t query_dim() const { return query_dim_; }
  int64_t key_dim() const { return key_dim_; }
  const std::string& score_name() const { return score_; }

  // Only the layers the score function uses exist (null otherwise): W for general and concat, v for concat.
  std::unique_ptr<Linear> W, v;

 private:
  int64_t query_dim_, key_dim_;
  std::string score_;
};

}  // namespace glimpse::nn
