// Differentiable linear map: one tape entry for y = x Wᵀ + b (see ops_linear.h for the equations).
#include "autograd/ops_linear.h"

#include <span>

#include "autograd/node.h"
#include "tensor/elementwise.h"
#include "tensor/matmul.h"
#include "tensor/parallel.h"
#include "tensor/reduce.h"

namespace glimpse {

namespace {
// Multiply-adds per backward GEMM from which dx and dW run side by side (below it OpenBLAS keeps a GEMM on one thread
// anyway, and waking a second thread would cost more than it saves).
constexpr int64_t kSideBySideWork = int64_t{1} << 18;
}  // namespace

// x: [*, in], weight: [out, in], bias: [out] -> [*, out]
Variable linear(const Variable& x, const Variable& weight, const Variable& bias) {
  check_defined(x, "linear");
  check_defined(weight, "linear");
  check(weight.dim() == 2, "linear: weight must be [out_features, in_features], got shape {}", weight.shape());
  check(x.dim() >= 1 && x.size(-1) == weight.size(1),
        "linear: input of shape {} does not end in in_features={} (weight shape {}); the last dim must be the {} "
        "features", x.shape(), weight.size(1), weight.shape(), weight.size(1));
  check(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)),
        "linear: bias must be [out_features] = [{}] for weight shape {}, got shape {}", weight.size(0), weight.shape(),
        bias.defined() ? bias.shape() : Shape());
  Tensor y = matmul(x.data(), weight.data().t());  // [*, in] @ [in, out] -> [*, out]; checks the dtypes
  if (bias.defined()) add_(y, bias.data());        // + b, broadcast over the rows, into y's own fresh memory

  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.requires_grad();
  // Each gradient needs only the other operand: keep x alive only if dW is wanted, W only if dx is.
  Tensor x_saved = need_w ? x.data() : Tensor(), w_saved = need_x ? weight.data() : Tensor();
  const Shape x_shape = x.shape();
  const Shape b_shape = bias.defined() ? bias.shape() : Shape();
  const bool has_bias = bias.defined();
  auto backward = [x_saved, w_saved, x_shape, b_shape, need_x, need_w, need_b, has_bias](const Tensor& g) -> Grads {
    Grads grads(has_bias ? 3 : 2);
    const int64_t in = x_shape[x_shape.size() - 1], out = g.size(-1);
    int64_t rows = 1;  // every leading dim of x is a row; counted, not numel / in, which fails for in = 0
    for (int i = 0; i + 1 < x_shape.size(); ++i) rows *= x_shape[i];
    auto dx = [&] { grads[0] = matmul(g, w_saved); };  // [*, out] @ [out, in] -> [*, in]
    auto dw = [&] {  // [out, rows] @ [rows, in] -> [out, in]: one GEMM over all rows, in W's own layout
      const Tensor x2 = x_saved.dim() == 2 ? x_saved : x_saved.reshape({rows, in});
      const Tensor g2 = g.dim() == 2 ? g : g.reshape({rows, out});
      grads[1] = matmul(g2.t(), x2);
    };
    if (need_x && need_w && rows * in * out >= kSideBySideWork) {
      // dx and dW are two independent GEMMs of equal work: with two threads free, each runs whole on its own thread
      // (inside a parallel region OpenBLAS stays on its thread) instead of both threads splitting each in turn, which
      // pays a hand-over per GEMM. Each output element is summed by one thread in one order either way: same bits.
      parallel_for(2, 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) task == 0 ? dx() : dw();
      });
    } else {
      if (need_x) dx();
      if (need_w) dw();
    }
    if (need_b) grads[2] = sum_to_size(g, b_shape);  // [*, out] -> [out]
    return grads;
  };
  const Variable inputs[] = {x, weight, bias};  // without a bias, only the first two are the op's inputs
  return record("linear", y, std::span<const Variable>(inputs, has_bias ? 3 : 2), saved(x_saved, w_saved),
                std::move(backward));
}

}  // namespace glimpse
