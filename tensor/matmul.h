// Matrix products through OpenBLAS (cblas_sgemm / cblas_dgemm).
#pragma once

#include "tensor/tensor.h"

namespace glimpse {

// torch.matmul semantics:
//   [n] @ [n] -> []                  dot product
//   [m, k] @ [k, n] -> [m, n]        matrix product
//   [k] @ [k, n] -> [n], [m, k] @ [k] -> [m]
//   [*b1, m, k] @ [*b2, k, n] -> [broadcast(b1, b2), m, n]
// Transposed views go to BLAS with the transpose flag, not copied. float32 and float64 only.
Tensor matmul(const Tensor& a, const Tensor& b);

// Writes a @ b into `out` (shape [m, n], contiguous), optionally adding to what is there: out = beta * out + a @ b.
// a: [m, k], b: [k, n]. The autograd layer uses it to accumulate gradients without a temporary.
void matmul_into(Tensor& out, const Tensor& a, const Tensor& b, double beta = 0.0);

}  // namespace glimpse
