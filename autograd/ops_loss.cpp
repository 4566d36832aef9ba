// Differentiable losses and layer_norm. Each function: check the arguments, bring the inputs to the layout the fused
// kernel wants (tensor/fused.h), reduce, and record a backward closure that undoes the layout and the reduction on the
// way back. The chain rule for the reductions: "sum" hands every element the output's gradient g, "mean" hands it
// g / count, "none" hands each element its own gradient.
#include "autograd/ops_loss.h"

#include <vector>

#include "autograd/node.h"
#include "tensor/elementwise.h"
#include "tensor/fused.h"
#include "tensor/reduce.h"

namespace glimpse {
namespace {

enum class Reduction { None, Mean, Sum };

Reduction parse_reduction(const std::string& reduction, const char* op) {
  if (reduction == "mean") return Reduction::Mean;
  if (reduction == "sum") return Reduction::Sum;
  check(reduction == "none", "{}: reduction must be \"mean\", \"sum\" or \"none\", got \"{}\"", op, reduction);
  return Reduction::None;
}

void check_variable(const Variable& v, const char* op, const char* name) {
  check(v.defined(), "{}: {} is an undefined Variable", op, name);
}

// t: [*] -> [numel] (a 0-d t becomes [1])
Tensor flat(const Tensor& t) { return t.dim() == 0 ? t.unsqueeze(0) : t.reshape({-1}); }

// ---- class-index losses: any layout brought to rows [M, C] and targets [M]

// How the caller's scores were laid out, so backward can put the gradient back the same way.
struct ClassLayout {
  Shape input_shape;  // [C], [N, C] or [N, C, d1, ...]
  Shape loss_shape;   // the per-element loss shape ("none"): the target's shape
};

struct ClassRows {
  Tensor scores;  // [M, C]
  Tensor target;  // [M]
  ClassLayout layout;
};

// scores: [C] with target [], [N, C] with target [N], or [N, C, d1, ...] with target [N, d1, ...] -> rows [M, C].
// For the last form the class dim moves last (one packing copy) so that every row is contiguous for the kernel.
ClassRows to_class_rows(const Tensor& x, const Tensor& target, const char* op, const char* what) {
  check_defined(target, op);
  check(target.dtype() == kInt64, "{}: target must hold int64 class indices, got dtype {} (class-probability targets "
        "are not supported); convert with .to(kInt64)", op, dtype_name(target.dtype()));
  check(x.dim() >= 1, "{}: {} must have a class dim ([C], [N, C] or [N, C, d1, ...]), got a 0-d tensor", op, what);
  ClassRows r;
  r.layout.input_shape = x.shape();
  Shape expected;  // the target shape that goes with x: x's shape without the class dim
  if (x.dim() >= 2) {
    expected = x.shape();
    expected.erase(1);
  }
  check(target.shape() == expected, "{}: target of shape {} does not match {} of shape {}; expected target shape {} "
        "({} without its class dim {})", op, target.shape(), what, x.shape(), expected, what, x.dim() == 1 ? 0 : 1);
  r.layout.loss_shape = expected;
  const int64_t C = x.dim() == 1 ? x.size(0) : x.size(1);
  if (x.dim() <= 2) {
    r.scores = x.dim() == 1 ? x.unsqueeze(0) : x;
  } else {
    Shape perm;  // [N, C, d1, ..., dk] -> [N, d1, ..., dk, C]
    perm.push_back(0);
    for (int d = 2; d < x.dim(); ++d) perm.push_back(d);
    perm.push_back(1);
    r.scores = x.permute(perm).contiguous().view({expected.numel(), C});
  }
  r.target = flat(target);
  return r;
}

// The inverse of to_class_rows for a gradient d: [M, C] -> the input's shape.
Tensor from_class_rows(const Tensor& d, const ClassLayout& layout) {
  const Shape& s = layout.input_shape;
  if (s.size() == 1) return d.view(s);
  if (s.size() == 2) return d;
  Shape moved;  // [N, d1, ..., dk, C]
  moved.push_back(s[0]);
  for (int k = 2; k < s.size(); ++k) moved.push_back(s[k]);
  moved.push_back(s[1]);
  Shape perm;  // back to [N, C, d1, ..., dk]
  perm.push_back(0);
  perm.push_back(s.size() - 1);
  for (int k = 1; k < s.size() - 1; ++k) perm.push_back(k);
  return d.view(moved).permute(perm);
}

// Per-row losses [M] -> the op's output. "mean" divides by the rows not ignored (NaN when there are none, as in
// PyTorch: a mean over nothing is undefined).
Tensor reduce_rows(const Tensor& loss, int64_t num_valid, Reduction red, const Shape& loss_shape) {
  switch (red) {
    case Reduction::None: return loss.view(loss_shape);
    case Reduction::Sum: return sum(loss);
    case Reduction::Mean: break;
  }
  return div(sum(loss), static_cast<double>(num_valid));
}

// The output's gradient g -> the gradient of each row's loss: [M] for "none", else one 0-d value for every row.
Tensor row_grad(const Tensor& g, int64_t num_valid, Reduction red) {
  switch (red) {
    case Reduction::None: return flat(g);
    case Reduction::Sum: return g;
    case Reduction::Mean: break;
  }
  return div(g, static_cast<double>(num_valid));
}

// The gradient each element of an elementwise loss gets: g for "none", g (0-d) for "sum", g / n for "mean".
Tensor element_grad(const Tensor& g, int64_t numel, Reduction red) {
  return red == Reduction::Mean ? div(g, static_cast<double>(numel)) : g;
}

Tensor reduce_elements(const Tensor& loss, Reduction red) {
  switch (red) {
    case Reduction::None: return loss;
    case Reduction::Sum: return sum(loss);
    case Reduction::Mean: break;
  }
  return mean(loss);
}

}  // namespace

// logits: [N, C] (or [C], [N, C, d...]), target: [N] int64 -> [] or [N]
// d loss_i / d logits_i = softmax(logits_i) - ((1 - eps) * onehot(t_i) + eps / C)
Variable cross_entropy(const Variable& logits, const Tensor& target, const CrossEntropyOptions& options) {
  const char* op = "cross_entropy";
  check_variable(logits, op, "logits");
  const Reduction red = parse_reduction(options.reduction, op);
  ClassRows rows = to_class_rows(logits.data(), target, op, "logits");
  CrossEntropyForward f = cross_entropy_forward(rows.scores, rows.target, options.ignore_index, options.label_smoothing);
  Tensor out = reduce_rows(f.loss, f.num_valid, red, rows.layout.loss_shape);
  const Saved kept = saved(rows.scores, rows.target);  // before the closure below takes rows over
  return record(op, out, {logits}, kept,
                [rows = std::move(rows), lse = f.lse, n = f.num_valid, red, options](const Tensor& g) -> Grads {
                  Tensor d = cross_entropy_backward(row_grad(g, n, red), rows.scores, rows.target, lse,
                                                    options.ignore_index, options.label_smoothing);
                  return {from_class_rows(d, rows.layout)};
                });
}

// log_probs: [N, C] (or [C], [N, C, d...]), target: [N] int64 -> [] or [N]
// d loss_i / d log_probs_i = -onehot(t_i)
Variable nll_loss(const Variable& log_probs, const Tensor& target, const NLLLossOptions& options) {
  const char* op = "nll_loss";
  check_variable(log_probs, op, "log_probs");
  const Reduction red = parse_reduction(options.reduction, op);
  ClassRows rows = to_class_rows(log_probs.data(), target, op, "log_probs");
  NllLossForward f = nll_loss_forward(rows.scores, rows.target, options.ignore_index);
  Tensor out = reduce_rows(f.loss, f.num_valid, red, rows.layout.loss_shape);
  const int64_t C = rows.scores.size(1);
  // Backward needs only the targets, not the log-probabilities.
  return record(op, out, {log_probs}, saved(rows.target),
                [target = rows.target, layout = rows.layout, C, n = f.num_valid, red, options](const Tensor& g) -> Grads {
                  Tensor d = nll_loss_backward(row_grad(g, n, red), target, C, options.ignore_index);
                  return {from_class_rows(d, layout)};
                });
}

// input, target: [*] -> [] or [*]
// d/d input (input - target)² = 2 (input - target) = -d/d target
Variable mse_loss(const Variable& input, const Variable& target, const std::string& reduction) {
  const char* op = "mse_loss";
  check_variable(input, op, "input");
  check_variable(target, op, "target");
  const Reduction red = parse_reduction(reduction, op);
  check(input.shape() == target.shape(), "{}: input of shape {} and target of shape {} differ; reshape one so they "
        "match (broadcasting them, e.g. [N, 1] against [N], would silently compare every pair)", op, input.shape(),
        target.shape());
  check(input.dtype() == target.dtype(), "{}: input is {} but target is {}; convert one with .to()", op,
        dtype_name(input.dtype()), dtype_name(target.dtype()));
  check(is_floating(input.dtype()), "{}: dtype int64 is not supported; convert first with .to(kFloat32)", op);
  Tensor diff = sub(input.data(), target.data());
  Tensor out = red == Reduction::None ? square(diff) : squared_error_reduce(diff, red == Reduction::Mean);
  const bool need_input = input.requires_grad(), need_target = target.requires_grad();
  return record(op, out, {input, target}, saved(diff), [diff, red, need_input, need_target](const Tensor& g) -> Grads {
    Tensor gi;
    if (red == Reduction::None) {
      gi = mul(diff, mul(g, 2.0));
    } else {
      // g is one number: the scale 2·g/n (2·g for sum) worked out as the tensor ops would, in diff's dtype, then one
      // pass over diff (a one-sample training step makes no tensors for the scalars).
      const double scale = dispatch_float(diff.dtype(), "mse_loss", [&]<class T>() {
        T s = static_cast<T>(g.item<double>());
        if (red == Reduction::Mean) s = s / static_cast<T>(static_cast<double>(diff.numel()));
        return static_cast<double>(s * static_cast<T>(2.0));
      });
      gi = mul(diff, scale);
    }
    return {need_input ? gi : Tensor(), need_target ? neg(gi) : Tensor()};
  });
}

// logits, target: [*], pos_weight: broadcasts to [*] -> [] or [*]
// d loss / d x = (1 - t) + w * (sigmoid(x) - 1), w = 1 + (pos_weight - 1) * t  (= sigmoid(x) - t without pos_weight)
Variable binary_cross_entropy_with_logits(const Variable& logits, const Tensor& target, const std::string& reduction,
                                          const Tensor& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  check_variable(logits, op, "logits");
  const Reduction red = parse_reduction(reduction, op);
  Tensor loss = binary_cross_entropy_with_logits_forward(logits.data(), target, pos_weight);
  return record(op, reduce_elements(loss, red), {logits},
                saved(logits.data(), target, pos_weight),
                [x = logits.data(), target, pos_weight, red](const Tensor& g) -> Grads {
                  return {binary_cross_entropy_with_logits_backward(element_grad(g, x.numel(), red), x, target,
                                                                    pos_weight)};
                });
}

// x: [*, *normalized_shape], weight/bias: normalized_shape -> [*, *normalized_shape]
// dx = rstd * (g w - mean(g w) - xhat * mean(g w xhat)), dweight = sum_rows g xhat, dbias = sum_rows g
Variable layer_norm(const Variable& x, const Shape& normalized_shape, const Variable& weight, const Variable& bias,
                    double eps) {
  const char* op = "layer_norm";
  check_variable(x, op, "input");
  const bool has_w = weight.defined(), has_b = bias.defined();
  Tensor w = has_w ? weight.data() : Tensor();
  LayerNormForward f = layer_norm_forward(x.data(), normalized_shape, w, has_b ? bias.data() : Tensor(), eps);
  // Only defined Variables are inputs of the tape; the closure returns one gradient for each, in the same order.
  std::vector<Variable> inputs{x};
  if (has_w) inputs.push_back(weight);
  if (has_b) inputs.push_back(bias);
  const LayerNormGradMask mask{x.requires_grad(), has_w && weight.requires_grad(), has_b && bias.requires_grad()};
  return record(op, f.y, inputs, saved(x.data(), w),
                [x = x.data(), w, mean = f.mean, rstd = f.rstd, mask, has_w, has_b](const Tensor& g) -> Grads {
                  LayerNormBackward b = layer_norm_backward(g, x, mean, rstd, w, mask);
                  Grads grads{b.dx};
                  if (has_w) grads.push_back(b.dweight);
                  if (has_b) grads.push_back(b.dbias);
                  return grads;
                });
}

}  // namespace glimpse
