// The masked softmax, the softmax every attention mechanism shares: weights = softmax(scale * scores + mask) along
// the last dim, with masked keys exactly 0. Two implementations of the same op, side by side:
//   masked_softmax            the fast path: one fused kernel forward, one backward (tensor/masked_softmax.h)
//   masked_softmax_reference  the readable one: softmax(masked_fill(scores, mask, -inf)) composed from the ops of
//                             ops_elementwise.h and ops_reduce.h, autograd deriving its backward; the tests' oracle
// Read the reference to see what the op computes; call masked_softmax. Usage:
//   Variable w = masked_softmax(scores, padding_mask);                                  // [B, Tq, Tk]
//   Variable w = masked_softmax(scores, Tensor(), {.causal = true, .scale = 1 / std::sqrt(d)});
//   Variable w = masked_softmax(scores, m, {.caller = "MyAttention"});                  // errors name your layer
//
// Masks (an undefined Tensor is no mask), told apart by dtype; a mask broadcasts against the scores [*, Tq, Tk]:
//   - int64 "boolean" masks: non-zero means MASKED OUT (the key is not attended to), 0 means attend. PyTorch's
//     key_padding_mask / MultiheadAttention attn_mask convention (nn/attention.h has helpers that make them);
//   - float32/float64 "additive" masks: added to the scaled scores (0 = attend, -inf = masked out, any other number
//     a bias such as ALiBi's).
// `causal` masks keys j > i for query i, top-left aligned as torch's is_causal, and combines with the mask.
//
// Fully masked rows. A query whose every key is masked has no distribution to take (softmax of all -inf is 0/0 = NaN
// in PyTorch's math path). glimpse defines it: the weights of such a row are all exactly 0, hence its attention
// context is 0 and no gradient flows through it. A padded query then contributes nothing, instead of poisoning the
// batch with NaN. A NaN score is not hidden: it makes its row NaN, as in softmax.
#pragma once

#include "autograd/variable.h"
#include "tensor/masked_softmax.h"

namespace glimpse {

// scores: [*, Tq, Tk] float, mask: broadcasts to [*, Tq, Tk] or undefined -> weights [*, Tq, Tk]
Variable masked_softmax(const Variable& scores, const Tensor& mask = Tensor(),
                        const MaskedSoftmaxOptions& options = {});

// The same op composed from plain ops (slower: it materialises the masked scores and walks them several times).
// scores: [*, Tq, Tk] float, mask: broadcasts to [*, Tq, Tk] or undefined -> weights [*, Tq, Tk]
Variable masked_softmax_reference(const Variable& scores, const Tensor& mask = Tensor(),
                                  const MaskedSoftmaxOptions& options = {});

}  // namespace glimpse
