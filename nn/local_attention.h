// LocalAttention: Luong et al.'s local attention (2015), which looks only at a window of 2D + 1 source positions
// around an aligned position p_t, instead of at the whole source sentence.
//
//   local-m (monotonic)  p_t = t, the query's own position (source and target assumed roughly aligned), clamped to
//                        the last source position; weights = softmax of the scores inside the window.
//   local-p (predictive) p_t = (S - 1) · sigmoid(v_pᵀ tanh(W_p h_t)), predicted from the query h_t;
//                        weights a_t(s) = softmax_window(score)(s) · exp(-(s - p_t)² / (2σ²)), σ = D / 2.
// The window is [c - D, c + D] ∩ [0, S - 1] with c = p_t (local-m) or round(p_t) (local-p); every position outside it
// is masked (weight exactly 0). The scores inside the window are Luong's ("dot", "general" or "concat", held by the
// child "align", a LuongAttention).
//
// Why the Gaussian: round(p_t) is piecewise constant, so the choice of window gives W_p and v_p no gradient. The
// Gaussian factor depends smoothly on the real-valued p_t and favours positions near it, so through it the loss
// teaches the predictor where to look. (Local-p weights therefore sum to less than 1.)
//
// Positions are 0-based here. The paper writes p_t = S · sigmoid(...) for positions counted from 1; (S - 1) · sigmoid
// keeps the same idea with p_t always inside the source [0, S - 1]. S is each sentence's own length: with a
// key_padding_mask (padding at the end), S_b = number of unpadded keys of batch entry b.
//
//   nn::LocalAttention attn(256, 256, {.mode = "local-p", .window = 10});
//   auto [context, weights, positions] = attn.forward(h_t, encoder_states, encoder_states, src_padding_mask);
#pragma once

#include <memory>
#include <string>

#include "nn/attention.h"
#include "nn/linear.h"
#include "nn/luong_attention.h"
#include "nn/module.h"

namespace glimpse::nn {

struct LocalAttentionOptions {
  std::string mode = "local-p";   // "local-m" or "local-p"
  int64_t window = 10;            // D: the window is 2D + 1 positions wide (Luong et al. use D = 10)
  std::string score = "general";  // the score inside the window: "dot", "general" or "concat"
  int64_t hidden_dim = 0;         // H of W_p (local-p) and of the concat score; 0 = query_dim
};

struct LocalAttentionOutput {
  Variable context;    // [B, (Tq,) dv]
  Variable weights;    // [B, (Tq,) S], 0 outside the window
  Variable positions;  // [B, (Tq)]: p_t (local-p: differentiable, it is what the Gaussian is centred on)
};

class LocalAttention : public Module {
 public:
  LocalAttention(int64_t query_dim, int64_t key_dim, const LocalAttentionOptions& options = {});

  // query: [B, dq] or [B, Tq, dq], keys: [B, S, dk], values: [B, S, dv], key_padding_mask: [B, S] int64 (1 = padding,
  // at the end of each row), first_position: the target position t of the first query (local-m: query i is at
  // t = first_position + i; when decoding one step at a time pass the step)
  //   -> context [B, (Tq,) dv], weights [B, (Tq,) S], positions [B, (Tq)]
  LocalAttentionOutput forward(const Variable& query, const Variable& keys, const Variable& values,
                               const Tensor& key_padding_mask = Tensor(), int64_t first_position = 0) const;

  std::string extra_repr() const override;

  LuongAttention align;            // the score inside the window ("align.W.weight", ...)
  std::unique_ptr<Linear> W_p, v_p;  // local-p's position predictor ("W_p.weight", "v_p.weight"); null for local-m

 private:
  int64_t query_dim_, key_dim_, window_;
  bool predictive_;
};

}  // namespace glimpse::nn
