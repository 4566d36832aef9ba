// Differentiable matrix product on Variables, with torch.matmul's semantics (1-d, 2-d, batched, broadcast batch dims).
#pragma once

#include "autograd/variable.h"

namespace glimpse {

// a: [*b1, m, k] (or [k]), b: [*b2, k, n] (or [k]) -> [broadcast(b1, b2), m, n] (a vector operand's dim dropped).
// Gradients: da = g @ bᵀ, db = aᵀ @ g, with the transposes as views (BLAS reads them with its transpose flag) and the
// broadcast batch dims summed back to each operand's shape.
Variable matmul(const Variable& a, const Variable& b);

}  // namespace glimpse
