// Differentiable linear map y = x Wᵀ + b (torch.nn.functional.linear): the op behind nn::Linear.
#pragma once

#include "autograd/variable.h"

namespace glimpse {

// x: [*, in], weight: [out, in], bias: [out] (or undefined: no bias) -> [*, out]
//
// One tape entry for what would otherwise be three (weight.t(), matmul, a broadcast add). The forward is the same
// GEMM matmul(x, weight.t()) does (the transpose is BLAS's flag, not a copy) with the bias added into its result in
// place; for g = dL/dy: [*, out] the backward is
//   dx = g W              [*, out] @ [out, in] -> [*, in]
//   dW = (xᵀ g)ᵀ          [in, rows] @ [rows, out] -> [in, out], transposed into W's layout [out, in]
//   db = Σ_rows g         [*, out] -> [out]
// where rows are all of x's leading dims folded together (one GEMM however many there are). The numbers are bit for
// bit those of matmul(x, weight.t()) + bias on the tape (tests/autograd/test_ops_linear.cpp checks it).
Variable linear(const Variable& x, const Variable& weight, const Variable& bias = Variable());

}  // namespace glimpse
