// The inner part of additive (Bahdanau) attention as one differentiable op: score[b, i, j] = Σ_h v_h tanh(wq[b, i, h]
// + wk[b, j, h]), with the query and key projections already made (wq = W2 q (+ bias), wk = W1 k).
//
// Written with ordinary ops (nn/attention.cpp, additive_score) this is a broadcast add to a [B, Tq, Tk, H] tensor, a
// tanh of it, and a product with v, and backward walks the same three steps back, each reading and writing the whole
// [B, Tq, Tk, H]. In a seq2seq decoder that runs at every target step and was the largest piece of the step after the
// GEMMs. Fused, forward writes the tanh once (backward needs it) and backward makes one pass that gives dwq, dwk and
// dv together. The values are those of the composed ops up to the vectorised tanh's few ulp (tensor/vecmath.h);
// float64 runs the scalar libm (tests/nn/test_additive_score.cpp checks both, and a float64 gradcheck).
#pragma once

#include "autograd/variable.h"

namespace glimpse::nn {

// wq: [B, Tq, H], wk: [B, Tk, H], v: [1, H] (the weight of Linear(H, 1)) -> [B, Tq, Tk]
Variable additive_score_projected(const Variable& wq, const Variable& wk, const Variable& v);

}  // namespace glimpse::nn
