// Attention, the functional half: masks, the classic score functions and scaled_dot_product_attention. The layers
// built on them (AdditiveAttention, LuongAttention, MultiheadAttention, LocalAttention, HardAttention) live in their
// own files beside this one; the masked softmax they all share is an op, in autograd/ops_masked_softmax.h.
//
// Every attention mechanism is the same three steps:
//   1. score    s[i, j] = score(query i, key j)                    how well key j answers query i
//   2. weights  a[i, :] = softmax(s[i, :] + mask[i, :])            a distribution over the keys, one per query
//   3. context  c[i]    = sum_j a[i, j] * value[j]                 the values, averaged with those weights
// The mechanisms differ only in step 1. Every function here returns the context AND the weights, so they can be
// plotted (the famous alignment pictures) or inspected in tests.
//
// Masks. Two kinds are accepted wherever a mask is taken, told apart by dtype:
//   - int64 "boolean" masks: 1 (any non-zero) means MASKED OUT (the key is not attended to), 0 means attend. This is
//     PyTorch's key_padding_mask / MultiheadAttention attn_mask convention (True = not allowed). Note it is the
//     opposite of the boolean attn_mask of torch's F.scaled_dot_product_attention, where True means "take part";
//     glimpse uses one convention everywhere, the one the mask helpers below produce.
//   - float32/float64 "additive" masks: added to the scores before the softmax (0 = attend, -inf = masked out, any
//     other number = a bias such as ALiBi's).
// A mask broadcasts against the scores [*, Tq, Tk] (so [Tq, Tk] serves every batch entry and head). A query whose
// every key is masked gets weights of exactly 0 (not NaN), so its context is 0 and no gradient flows through it
// (masked_softmax, autograd/ops_masked_softmax.h, defines it).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "autograd/ops_masked_softmax.h"
#include "autograd/variable.h"
#include "tensor/random.h"

namespace glimpse::nn {

// What every attention function and layer returns. `weights` may be undefined when a layer is asked not to compute
// them (MultiheadAttention with need_weights = false). Structured bindings read well: `auto [ctx, w] = attn(...)`.
struct AttentionOutput {
  Variable context;  // [*, Tq, dv]: one averaged value per query
  Variable weights;  // [*, Tq, Tk]: how much each query attends to each key (rows sum to 1, or 0 if fully masked)
};

// ---- mask helpers (int64, 1 = masked out)

// The causal ("no peeking at the future") mask: [T, T] -> 1 where key j comes after query i (j > i).
Tensor causal_mask(int64_t T);
// Rectangular version [Tq, Tk], aligned at the top-left as torch's is_causal: query i sees keys 0..i. (For decoding
// with a cache, where the Tq queries are the LAST Tq of Tk positions, use causal_mask(Tk) sliced to its last Tq rows.)
Tensor causal_mask(int64_t Tq, int64_t Tk);
// Padding from sequence lengths: lengths: [B] int64 -> [B, T], 1 at positions t >= lengths[b] (the padding).
// Pass it as key_padding_mask so no query attends to padding. Lengths must lie in [0, T].
Tensor padding_mask_from_lengths(const Tensor& lengths, int64_t T);
Tensor padding_mask_from_lengths(const std::vector<int64_t>& lengths, int64_t T);

// ---- score functions: q: [*, Tq, dq], k: [*, Tk, dk] -> scores [*, Tq, Tk]
// Leading dims broadcast. The weight shapes are those of the Linear layers that hold them (nn::Linear(in, out)
// stores weight [out, in]), so a layer passes `W.weight` straight in.

// Dot (Luong): score(q, k) = qᵀk. Needs dq == dk.
Variable dot_score(const Variable& q, const Variable& k);
// General (Luong): score(q, k) = qᵀ W k, with W: [dq, dk] (the weight of Linear(dk -> dq)).
Variable general_score(const Variable& q, const Variable& k, const Variable& W);
// Additive (Bahdanau): score(q, k) = vᵀ tanh(W1 k + W2 q), with W1: [H, dk], W2: [H, dq], v: [1, H].
// Builds a [*, Tq, Tk, H] intermediate: additive attention costs Tq·Tk·H, that is its nature.
Variable additive_score(const Variable& q, const Variable& k, const Variable& W1, const Variable& W2,
                        const Variable& v);
// Concat (Luong): score(q, k) = vᵀ tanh(W [q; k]), with W: [H, dq + dk], v: [1, H]. Since W [q; k] = W_q q + W_k k
// for the column blocks W = [W_q | W_k], this is additive_score with W's two halves, computed without ever
// concatenating a (query, key) pair.
Variable concat_score(const Variable& q, const Variable& k, const Variable& W, const Variable& v);

// ---- scaled dot-product attention (the Transformer's)

struct SdpaOptions {
  Tensor attn_mask = Tensor();                 // int64 (1 = masked out) or float (added), broadcast to [*, Tq, Tk]
  double dropout_p = 0.0;                      // dropout on the weights (applied only when training)
  bool is_causal = false;                      // mask keys j > i (top-left aligned, as torch); combines with attn_mask
  std::optional<double> scale = std::nullopt;  // default 1/√d
  bool training = true;                        // pass module.is_training(); no dropout when false
  Generator* generator = nullptr;              // for dropout; nullptr = the default generator
  // false: return only the context, computed by flash attention (tensor/flash_attention.h: tiles and an online
  // softmax, so no [*, Tq, Tk] matrix exists in forward or backward; memory grows with T, not T²). Active dropout
  // needs the weights, so it takes the plain path either way.
  bool need_weights = true;
};

// Score: score(q, k) = qᵀk / √d. Context = softmax(q kᵀ / √d + mask) v.
// q: [*, Tq, d], k: [*, Tk, d], v: [*, Tk, dv] -> context [*, Tq, dv], weights [*, Tq, Tk]
// The leading dims (batch, heads, ...) broadcast. q kᵀ is one batched GEMM on a transposed VIEW of k (no copy), the
// scale and mask are folded into the fused masked_softmax, and the weights returned are those before dropout (they
// sum to 1; PyTorch's MultiheadAttention returns them after dropout). Usage:
//   auto [ctx, w] = nn::scaled_dot_product_attention(q, k, v, {.is_causal = true});
//   Variable ctx = nn::scaled_dot_product_attention(q, k, v, {.is_causal = true, .need_weights = false}).context;
// The second form (what a Transformer's training step wants) runs flash attention and leaves `weights` undefined.
AttentionOutput scaled_dot_product_attention(const Variable& q, const Variable& k, const Variable& v,
                                             const SdpaOptions& options = {});

// ---- shared by the sequence-to-sequence layers (AdditiveAttention, LuongAttention, LocalAttention, HardAttention)
// They take query [B, dq] (one decoder step) or [B, Tq, dq], keys [B, Tk, dk], values [B, Tk, dv] and one optional
// `mask`. These two helpers give them identical checks and identical mask rules, and are there for your own layers.

// Checks the three inputs against the layer's sizes and returns the query as [B, Tq, dq] (a [B, dq] query becomes
// [B, 1, dq]; the layer squeezes that dim out of its results again). Errors name `layer`, the shapes and the fix.
Variable check_seq2seq_inputs(const Variable& query, const Variable& keys, const Variable& values, int64_t query_dim,
                              int64_t key_dim, const char* layer);
// The layers' mask rule: a 2-d mask [B, Tk] marks padded keys (1 = padding, e.g. padding_mask_from_lengths) and is
// returned as [B, 1, Tk]; any other mask must broadcast to the scores [B, Tq, Tk] and is returned as it is (use
// [1, Tq, Tk] for a per-query mask shared by the batch). An undefined mask stays undefined.
Tensor seq2seq_scores_mask(const Tensor& mask, int64_t B, int64_t Tq, int64_t Tk, const char* layer);

}  // namespace glimpse::nn
