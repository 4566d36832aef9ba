// Flash attention on the CPU: softmax(scale · q kᵀ + mask) v without ever holding the [Tq, Tk] matrix, forward and
// backward.
//
// Plain attention makes the scores, then the weights, both [*, Tq, Tk]: at T = 8192 with 4 heads that is 1 GiB each
// in float32, and the backward keeps the weights alive. Here the keys are visited in tiles of kKeyTile. For a tile of
// queries, each tile of scores is made (one small GEMM), masked, and folded into a running ("online") softmax: every
// query row keeps its running max m, its running sum l of exp(s - m), and its running output o; when a new tile
// raises the max, the old l and o are rescaled by exp(m_old - m_new). After the last tile o / l is the answer, and
// lse = m + log l (the row's log-sum-exp) is all the backward needs: it recomputes each tile's weights as
// p = exp(s - lse) instead of storing them. Memory is O(T · d) plus one tile per thread; the arithmetic is the plain
// path's plus one recomputation of q kᵀ in backward (FlashAttention-2, Dao 2023, adapted to a CPU's caches).
//
// Rules are those of masked_softmax (tensor/masked_softmax.h): an int64 mask element ≠ 0 masks a key out, a float
// mask is added to the scaled score, is_causal masks keys j > i (top-left aligned), and a query whose every key is
// masked gets an output of 0 and no gradient. These are raw kernels on Tensors; nn::scaled_dot_product_attention records
// them on the tape when the caller does not ask for the weights.
#pragma once

#include "tensor/tensor.h"

namespace glimpse {

struct FlashAttentionForward {
  Tensor out;  // [*, Tq, dv], its memory laid out like q's (see below)
  Tensor lse;  // [*, Tq] (contiguous): log Σ_j exp(scaled, masked score); -inf for a fully masked row
};

// q: [*, Tq, d], k: [*, Tk, d], v: [*, Tk, dv], one float dtype, one leading shape * (broadcast it first: expanded
// views cost nothing), mask: undefined or expanded to [*, Tq, Tk] (any strides; int64 or the dtype of q)
// -> out [*, Tq, dv], lse [*, Tq].
// The operands are read where they lie, at any strides whose last one is 1 (others are copied once): a head that is a
// transposed column slice of a [B, T, 3C] projection, as in a GPT, costs no copy. out is laid out in q's dimension
// order (q = x.view(B, T, H, d).transpose(1, 2) gives an out whose transpose(1, 2) is contiguous, so putting the
// heads back side by side is a free view).
FlashAttentionForward flash_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                              bool causal, double scale);

struct FlashAttentionBackward {
  Tensor dq, dk, dv;  // the shapes of q, k, v, each laid out in the dimension order of its input
};

// grad: [*, Tq, dv] (dL/dout, any strides), the forward's inputs and results -> dq, dk, dv.
FlashAttentionBackward flash_attention_backward(const Tensor& grad, const Tensor& q, const Tensor& k, const Tensor& v,
                                                const Tensor& mask, bool causal, double scale, const Tensor& out,
                                                const Tensor& lse);

}  // namespace glimpse
