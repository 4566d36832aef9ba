// MultiheadAttention: PyTorch's nn.MultiheadAttention, with the same parameter names, initialisation and numbers, so
// a checkpoint of one loads into the other.
//
// Each of the num_heads heads attends in its own subspace of size head_dim = embed_dim / num_heads:
//   q = query W_qᵀ + b_q,  k = key W_kᵀ + b_k,  v = value W_vᵀ + b_v                  [B, T, E]
//   split into heads                                                                [B, H, T, head_dim]
//   context_h, weights_h = scaled_dot_product_attention(q_h, k_h, v_h, mask)         score(q, k) = qᵀk / √head_dim
//   output = concat_h(context_h) W_oᵀ + b_o                                          [B, Tq, E]
// Several small heads can each look at a different thing (a neighbour, the subject of the sentence, ...) for the
// cost of one big head.
//
// Parameters (PyTorch's names):
//   in_proj_weight [3E, E]  (rows: W_q, W_k, W_v)  when kdim == vdim == embed_dim, else
//   q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim]
//   in_proj_bias [3E]       (when bias)
//   out_proj.weight [E, E], out_proj.bias [E]   (a Linear child "out_proj"; no bias when bias = false)
// Initialisation as PyTorch's _reset_parameters: xavier_uniform_ on the projection weights, zeros for in_proj_bias
// and out_proj.bias; out_proj.weight keeps Linear's default initialisation.
//
// Layout: batch_first = false (PyTorch's default) takes [T, B, E]; batch_first = true takes [B, T, E]; a 2-d input
// [T, E] is one unbatched sequence. Self-attention passes the same Variable as query, key and value (the three
// projections are then one GEMM); cross-attention passes the encoder's output as key and value.
//
//   nn::MultiheadAttention mha(64, 4, {.dropout = 0.1, .batch_first = true});
//   auto [out, weights] = mha.forward(x, x, x, {.key_padding_mask = pad, .is_causal = true});
#pragma once

#include <string>

#include "nn/attention.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace glimpse::nn {

// Constructor options, in PyTorch's order (add_bias_kv and add_zero_attn are not supported).
struct MultiheadAttentionOptions {
  double dropout = 0.0;      // on the attention weights, in training mode
  bool bias = true;          // in_proj_bias and out_proj.bias
  int64_t kdim = 0;          // key features; 0 = embed_dim
  int64_t vdim = 0;          // value features; 0 = embed_dim
  bool batch_first = false;  // [B, T, E] instead of [T, B, E]
};

// forward() arguments after query, key and value, in PyTorch's order.
struct MultiheadAttentionForwardOptions {
  // [B, Tk] ([Tk] unbatched): int64 1 = padded key (ignored), or float added to the scores.
  Tensor key_padding_mask = Tensor();
  // Return the weights? (false: `weights` is undefined; they are still computed, glimpse has no separate fast path.)
  bool need_weights = true;
  // [Tq, Tk] or [B * num_heads, Tq, Tk]: int64 1 = not allowed to attend, or float added to the scores.
  Tensor attn_mask = Tensor();
  // false (glimpse's default): weights per head [B, H, Tq, Tk]; true: averaged over heads [B, Tq, Tk]. NOTE: PyTorch's
  // default is true; pass .average_attn_weights = true for PyTorch's result.
  bool average_attn_weights = false;
  // Applies the causal mask (key j > query i masked, top-left aligned). Unlike PyTorch, where is_causal is only a
  // hint that attn_mask is causal, glimpse builds the mask itself; it combines with attn_mask and key_padding_mask.
  bool is_causal = false;
};

class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, const MultiheadAttentionOptions& options = {});

  // batch_first: query [B, Tq, E], key [B, Tk, kdim], value [B, Tk, vdim]
  //   -> output [B, Tq, E], weights [B, H, Tq, Tk] (or [B, Tq, Tk] averaged)
  // otherwise the same with [T, B, *] inputs and outputs, or unbatched [T, *] inputs -> [Tq, E], [H, Tq, Tk].
  // weights are those before dropout (they sum to 1 over Tk; fully masked rows are 0 and give a zero context).
  AttentionOutput forward(const Variable& query, const Variable& key, const Variable& value,
                          const MultiheadAttentionForwardOptions& options = {}) const;

  std::string extra_repr() const override;

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return head_dim_; }
  bool batch_first() const { return batch_first_; }

  // Undefined when not used (PyTorch's None): either in_proj_weight or the three *_proj_weight; in_proj_bias when
  // bias = false.
  Variable in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias;
  Linear out_proj;

 private:
  int64_t embed_dim_, num_heads_, head_dim_, kdim_, vdim_;
  double dropout_;
  bool bias_, batch_first_, same_dims_;
};

}  // namespace glimpse::nn
