// Differentiable matmul: the forward is tensor/matmul.h, the backward two more matmuls.
//
// For y = a @ b with a: [m, k], b: [k, n] and g = dL/dy: [m, n], the chain rule gives
//   da = g @ bᵀ   ([m, n] @ [n, k] -> [m, k])      db = aᵀ @ g   ([k, m] @ [m, n] -> [k, n])
// The transposes are views (strides swapped), which the tensor matmul hands to BLAS with its transpose flag, so
// backward copies nothing. The other cases reduce to this one:
//   - a vector operand is read as a matrix, as in the forward ([k] is a row [1, k] on the left, a column [k, 1] on
//     the right), g gets the dropped dim back as a 1, and the gradient is reshaped to the vector's shape at the end;
//   - batch dims: the same formulas batch by batch; an operand whose batch dims were broadcast (size 1 or missing)
//     was used by several batches, so its gradient is summed over them (sum_to_size).
#include "autograd/ops_matmul.h"

#include "autograd/node.h"
#include "tensor/matmul.h"
#include "tensor/reduce.h"

namespace glimpse {

// a: [*b1, m, k] (or [k]), b: [*b2, k, n] (or [k]) -> [broadcast(b1, b2), m, n]
Variable matmul(const Variable& a, const Variable& b) {
  check_defined(a, "matmul");
  check_defined(b, "matmul");
  Tensor y = matmul(a.data(), b.data());  // validates shapes and dtypes, naming both shapes
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  // Both operands as matrices: a2: [*b1, m, k], b2: [*b2, k, n].
  Shape a2 = a.shape(), b2 = b.shape();
  if (a.dim() == 1) a2.insert(0, 1);  // [k] -> [1, k]
  if (b.dim() == 1) b2.insert(1, 1);  // [k] -> [k, 1]
  // Each gradient needs only the *other* operand: keep a alive only if db is wanted, b only if da is.
  Tensor a_saved = need_b ? a.data() : Tensor(), b_saved = need_a ? b.data() : Tensor();

  return record("matmul", y, {a, b}, saved(a_saved, b_saved),
                [a_saved, b_saved, a2, b2, need_a, need_b, a_shape = a.shape(),
                                      b_shape = b.shape()](const Tensor& g) -> Grads {
    Tensor g2 = g;  // -> [*batch, m, n]
    if (b_shape.size() == 1) g2 = g2.unsqueeze(-1);  // [..., m] -> [..., m, 1]
    if (a_shape.size() == 1) g2 = g2.unsqueeze(-2);  // [..., n] -> [..., 1, n]
    Tensor da, db;
    if (need_a) {
      // da = g @ bᵀ: [*batch, m, n] @ [*b2, n, k] -> [*batch, m, k], summed down to [*b1, m, k]
      Tensor bt = b_saved.reshape(b2).transpose(-1, -2);
      da = sum_to_size(matmul(g2, bt), a2).reshape(a_shape);
    }
    if (need_b) {
      Tensor am = a_saved.reshape(a2);
      if (b2.size() == 2 && am.dim() > 2) {
        // b is one matrix shared by every batch (x: [B, T, C] @ W: [C, N], the Linear layer): the sum over batches
        // of a_iᵀ @ g_i is one GEMM on the stacked rows, [k, B*T] @ [B*T, n], with no [B, k, n] temporary to sum.
        int64_t rows = 1;  // B*T (counted, not numel / k, which fails for k = 0)
        for (int i = 0; i + 1 < am.dim(); ++i) rows *= am.size(i);
        db = matmul(am.reshape({rows, am.size(-1)}).t(), g2.reshape({rows, g2.size(-1)})).reshape(b_shape);
      } else {
        // db = aᵀ @ g: [*b1, k, m] @ [*batch, m, n] -> [*batch, k, n], summed down to [*b2, k, n]
        db = sum_to_size(matmul(am.transpose(-1, -2), g2), b2).reshape(b_shape);
      }
    }
    return {da, db};
  });
}

}  // namespace glimpse
