// The masked softmax kernels, forward and backward: softmax(scale * scores + mask) along the last dim, masked keys
// exactly 0, fully masked rows all 0. They are the fast path of the differentiable op masked_softmax
// (autograd/ops_masked_softmax.h, which documents the op and its masks and holds the readable composed form beside
// it). Raw kernels on Tensors: nothing is recorded for autograd here.
//
// Why a fused kernel at all: the composed form softmax(masked_fill(scale * scores + mask, mask, -inf)) makes three
// [*, Tq, Tk] temporaries and walks them five times; for attention scores (the largest tensors of a Transformer's
// step) that is most of the time spent outside the matrix products. The kernel walks each row once for mask + max,
// once for exp + sum, once to normalise, and its backward is one pass per row.
#pragma once

#include "tensor/tensor.h"

namespace glimpse {

// How the scores are masked and scaled, named at the call site: masked_softmax(s, m, {.causal = true, .scale = 0.125})
struct MaskedSoftmaxOptions {
  bool causal = false;                    // also mask keys j > i for query i (top-left aligned, as torch's is_causal)
  double scale = 1.0;                     // the scores are multiplied by it before the mask is added
  const char* caller = "masked_softmax";  // named in error messages: the layer or function the user called
};

// Checks that an attention mask (int64: non-zero = masked out; float: added to the scores) broadcasts to the scores'
// shape [*, Tq, Tk] and returns it expanded to that shape (a view: stride 0 where it broadcasts, nothing copied); a
// float mask is converted to `dtype` first. An undefined mask is returned as it is. Errors name `caller`.
Tensor expand_attention_mask(const Tensor& mask, const Shape& scores_shape, DType dtype, const char* caller);

// scores: [*, Tq, Tk] float, mask: broadcasts to [*, Tq, Tk] or undefined -> weights [*, Tq, Tk]
Tensor masked_softmax_forward(const Tensor& scores, const Tensor& mask, const MaskedSoftmaxOptions& options = {});

// The softmax's Jacobian-vector product, row by row: dscores = scale * y ⊙ (grad - Σ_j grad_j y_j). Masked weights
// are 0, so masked keys and fully masked rows get a zero gradient without looking at the mask again.
// grad, y (the forward's weights): [*, Tq, Tk] -> dscores [*, Tq, Tk]
Tensor masked_softmax_backward(const Tensor& grad, const Tensor& y, double scale);

}  // namespace glimpse
