// masked_softmax on the tape (the fused kernels of tensor/masked_softmax.h) and its composed reference. See
// ops_masked_softmax.h for the rules both follow.
#include "autograd/ops_masked_softmax.h"

#include <limits>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "tensor/elementwise.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse {

// scores: [*, Tq, Tk] -> [*, Tq, Tk]
Variable masked_softmax(const Variable& scores, const Tensor& mask, const MaskedSoftmaxOptions& options) {
  check(scores.defined(), "{}: the scores are undefined", options.caller);
  Tensor y = masked_softmax_forward(scores.data(), mask, options);
  const double scale = options.scale;
  // The backward needs only the weights: softmax's derivative is written in its output.
  return record("masked_softmax", y, {scores}, saved(y),
                [y, scale](const Tensor& g) -> Grads { return {masked_softmax_backward(g, y, scale)}; });
}

// scores: [*, Tq, Tk] -> [*, Tq, Tk]
Variable masked_softmax_reference(const Variable& scores, const Tensor& mask, const MaskedSoftmaxOptions& options) {
  const char* op = options.caller;
  check(scores.defined(), "{}: the scores are undefined", op);
  check(is_floating(scores.dtype()), "{}: scores must be float32 or float64, got {}", op, dtype_name(scores.dtype()));
  check(scores.dim() >= 2, "{}: scores must be [*, Tq, Tk] (at least 2-d), got shape {}", op, scores.shape());
  const Shape& shape = scores.shape();
  const int64_t Tq = scores.size(-2), Tk = scores.size(-1);
  const double kInf = std::numeric_limits<double>::infinity();

  // 1. `hidden`: 1 where query i may not see key j (int64, the scores' shape), and the finite part of a float mask.
  const Tensor m = expand_attention_mask(mask, shape, scores.dtype(), op);
  Tensor hidden = zeros(shape, kInt64), additive;
  if (m.defined() && m.dtype() == kInt64) hidden = ne(m, 0.0);
  if (m.defined() && m.dtype() != kInt64) {
    hidden = eq(m, -kInf);
    additive = masked_fill(m, hidden, 0.0);
  }
  if (options.causal) hidden = maximum(hidden, triu(ones({Tq, Tk}, kInt64), 1));  // keys j > i

  // 2. Rows with no visible key are all zeros by definition. Their scores are left unmasked, so the softmax below
  //    never sees a row of -inf (which would be NaN, in its value and in its gradient), and their weights are zeroed
  //    at the end, which also stops their gradient.
  const Tensor dead = eq(sum(1.0 - hidden, {-1}, /*keepdim=*/true), 0.0);  // [*, Tq, 1]

  // 3. The op itself.
  Variable z = scores * options.scale;
  if (additive.defined()) z = z + additive;
  Variable weights = softmax(masked_fill(z, hidden * (1.0 - dead), -kInf), -1);
  return masked_fill(weights, dead, 0.0);
}

}  // namespace glimpse
