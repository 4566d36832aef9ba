// Differentiable reductions. Each function is the whole story of one op: the forward on Tensors, then the backward
// closure that turns the output's gradient `g` into the input's gradient.
//
// Every reduction's backward starts the same way: g has the output's shape, which lacks the reduced dims (or has them
// as 1 with keepdim). Unsqueezing the reduced dims puts those 1s back, and then g broadcasts against the input:
// `keep(g).expand(in)` is a view, so spreading the gradient over the reduced elements copies nothing.
#include "autograd/ops_reduce.h"

#include <algorithm>
#include <cmath>

#include "autograd/node.h"
#include "tensor/elementwise.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse {
namespace {

// What a backward needs to know about the dims a reduction removed.
struct Reduced {
  Shape in;           // the input's shape
  Shape kept;         // the input's shape with the reduced dims set to 1 (the keepdim output shape)
  Shape dims;         // the reduced dims, wrapped and in increasing order
  int64_t count = 1;  // how many input elements fold into each output element
};

// Call after the forward, which has already validated `dims` (range, duplicates).
Reduced describe(const Tensor& x, const Shape& dims) {
  Reduced r{x.shape(), x.shape(), {}, 1};
  if (x.dim() == 0) return r;  // a 0-d tensor accepts dim 0 / -1 and reduces nothing
  bool reduced[kMaxDims] = {false};
  if (dims.empty()) {
    std::fill(reduced, reduced + x.dim(), true);
  } else {
    for (int64_t d : dims) reduced[wrap_dim(d, x.dim(), "reduce")] = true;
  }
  for (int d = 0; d < x.dim(); ++d) {
    if (!reduced[d]) continue;
    r.kept[d] = 1;
    r.dims.push_back(d);
    r.count *= x.size(d);
  }
  return r;
}

// g: output shape -> the keepdim shape, whose 1s broadcast against the input. Unsqueezing in increasing order puts
// each reduced dim back at its place. (A no-op when the forward had keepdim.)
Tensor keep(const Tensor& g, const Reduced& r) {
  if (g.dim() == r.kept.size()) return g;
  Tensor k = g;
  for (int64_t d : r.dims) k = k.unsqueeze(d);
  return k;
}

// g: output shape -> the input's shape, each output's gradient repeated over the elements it reduced (a view).
Tensor expand_back(const Tensor& g, const Reduced& r) { return keep(g, r).expand(r.in); }

// A 0-d zero of t's dtype, for where() (broadcasts to any shape).
Tensor zero_scalar(const Tensor& t) { return scalar_tensor(0.0, t.dtype()); }

// Backward of amax/amin/max()/min(): the elements equal to the extremum y share g evenly.
// x: [*], y: keepdim-able output, g: output shape -> [*]
Tensor extremum_backward(const Tensor& g, const Tensor& x, const Tensor& y, const Reduced& r) {
  Tensor hit = eq(x, keep(y, r)).to(g.dtype());      // 1 where x attains the extremum
  Tensor ties = sum(hit, r.dims, /*keepdim=*/true);  // how many do, per output element (>= 1)
  return hit * (keep(g, r) / ties);
}

}  // namespace

// ---- sum and mean: every input element contributes with weight 1 (or 1/count)

// x: [*] -> [*] reduced; dx = g broadcast back over the reduced dims
Variable sum(const Variable& x, const Shape& dims, bool keepdim) {
  check_defined(x, "sum");
  Tensor y = sum(x.data(), dims, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("sum", y, {x}, [r](const Tensor& g) -> Grads { return {expand_back(g, r)}; });
}

// x: [*] -> [*] reduced; dx = g / count broadcast back (divided before broadcasting: fewer divisions)
Variable mean(const Variable& x, const Shape& dims, bool keepdim) {
  check_defined(x, "mean");
  Tensor y = mean(x.data(), dims, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("mean", y, {x}, [r](const Tensor& g) -> Grads {
    return {expand_back(g / static_cast<double>(r.count), r)};
  });
}

// ---- extrema

// x: [*] -> [*] reduced; dx = g / (number of ties) at each position equal to the max, 0 elsewhere
Variable amax(const Variable& x, const Shape& dims, bool keepdim) {
  check_defined(x, "amax");
  Tensor y = amax(x.data(), dims, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("amax", y, {x}, saved(x.data(), y), [x = x.data(), y, r](const Tensor& g) -> Grads {
    return {extremum_backward(g, x, y, r)};
  });
}

// x: [*] -> [*] reduced; as amax, at the positions equal to the min
Variable amin(const Variable& x, const Shape& dims, bool keepdim) {
  check_defined(x, "amin");
  Tensor y = amin(x.data(), dims, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("amin", y, {x}, saved(x.data(), y), [x = x.data(), y, r](const Tensor& g) -> Grads {
    return {extremum_backward(g, x, y, r)};
  });
}

// x: [*] -> [] (0-d); as amax over every dim (the tensor op supplies the empty-input error)
Variable max(const Variable& x) {
  check_defined(x, "max");
  Tensor y = max(x.data());
  const Reduced r = describe(x.data(), {});
  return record("max", y, {x}, saved(x.data(), y), [x = x.data(), y, r](const Tensor& g) -> Grads {
    return {extremum_backward(g, x, y, r)};
  });
}

// x: [*] -> [] (0-d); as amin over every dim
Variable min(const Variable& x) {
  check_defined(x, "min");
  Tensor y = min(x.data());
  const Reduced r = describe(x.data(), {});
  return record("min", y, {x}, saved(x.data(), y), [x = x.data(), y, r](const Tensor& g) -> Grads {
    return {extremum_backward(g, x, y, r)};
  });
}

namespace {
// max/min along a dim: y[..] = x[.., indices[..], ..], so the gradient is scattered back to those positions.
// x: [*, n, *] -> values [*, *]; dx = zeros with dx[.., indices, ..] += g
VariableValuesIndices arg_extremum(const Variable& x, int64_t dim, bool keepdim, bool is_max) {
  const char* op = is_max ? "max" : "min";
  ValuesIndices r = is_max ? max(x.data(), dim, keepdim) : min(x.data(), dim, keepdim);
  const int d = wrap_dim(dim, x.dim(), op);
  Variable values = record(op, r.values, {x}, saved(r.indices),
                           [in = x.shape(), idx = r.indices, d, keepdim](const Tensor& g) -> Grads {
    if (in.size() == 0) return {g};  // a 0-d input is its own max
    Tensor gk = keepdim ? g : g.unsqueeze(d);  // scatter_add wants index and src with the input's number of dims
    Tensor ik = keepdim ? idx : idx.unsqueeze(d);
    return {scatter_add(zeros(in, g.dtype()), d, ik, gk)};
  });
  return {values, r.indices};
}
}  // namespace

VariableValuesIndices max(const Variable& x, int64_t dim, bool keepdim) { return arg_extremum(x, dim, keepdim, true); }
VariableValuesIndices min(const Variable& x, int64_t dim, bool keepdim) { return arg_extremum(x, dim, keepdim, false); }

// ---- spread

// x: [*] -> [*] reduced. var = sum((x - m)²) / (N - c), with m the mean, so dvar/dx = 2 (x - m) / (N - c): the path
// through m adds nothing, because sum(x - m) = 0.
Variable var(const Variable& x, const Shape& dims, int64_t correction, bool keepdim) {
  check_defined(x, "var");
  Tensor y = var(x.data(), dims, correction, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("var", y, {x}, saved(x.data()), [x = x.data(), correction, r](const Tensor& g) -> Grads {
    const double denom = std::max(0.0, static_cast<double>(r.count) - static_cast<double>(correction));  // as the forward
    Tensor centered = x - mean(x, r.dims, /*keepdim=*/true);
    return {centered * (keep(g, r) * (2.0 / denom))};
  });
}

// x: [*] -> [*] reduced. std = sqrt(var), so dx = g / (2 std) * dvar/dx = g (x - m) / ((N - c) std). Where std is 0
// (all elements equal) the derivative is undefined; it is taken as 0, as PyTorch does, instead of 0/0 = NaN.
Variable std(const Variable& x, const Shape& dims, int64_t correction, bool keepdim) {
  check_defined(x, "std");
  Tensor y = std(x.data(), dims, correction, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("std", y, {x}, saved(x.data(), y), [x = x.data(), y, correction, r](const Tensor& g) -> Grads {
    const double denom = std::max(0.0, static_cast<double>(r.count) - static_cast<double>(correction));
    Tensor yk = keep(y, r);
    Tensor g_over_std = where(eq(yk, 0.0), zero_scalar(g), keep(g, r) / yk);
    Tensor centered = x - mean(x, r.dims, /*keepdim=*/true);
    return {centered * (g_over_std / denom)};
  });
}

// ---- log-sum-exp and norms

// x: [*] -> [*] reduced. d/dx log(sum exp(x)) = exp(x) / sum exp(x) = exp(x - y): the softmax over the reduced dims.
Variable logsumexp(const Variable& x, const Shape& dims, bool keepdim) {
  check_defined(x, "logsumexp");
  Tensor y = logsumexp(x.data(), dims, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("logsumexp", y, {x}, saved(x.data(), y), [x = x.data(), y, r](const Tensor& g) -> Grads {
    return {keep(g, r) * exp(x - keep(y, r))};
  });
}

// x: [*] -> [*] reduced. y = (sum |x|^p)^(1/p), so dy/dx = sign(x) |x|^(p-1) / y^(p-1). The special cases follow
// PyTorch: p = 2 is x / y; p = 1 is sign(x); p = ±inf splits g among the elements whose |x| equals y; p = 0 (a count)
// has gradient 0; where y = 0 the gradient is 0 rather than 0/0.
Variable norm(const Variable& x, double p, const Shape& dims, bool keepdim) {
  check_defined(x, "norm");
  Tensor y = norm(x.data(), p, dims, keepdim);
  const Reduced r = describe(x.data(), dims);
  return record("norm", y, {x}, saved(x.data(), y), [x = x.data(), y, p, r](const Tensor& g) -> Grads {
    Tensor gk = keep(g, r), yk = keep(y, r);
    Tensor zero = zero_scalar(g);
    if (p == 0.0) return {zeros_like(x)};
    if (p == 1.0) return {sign(x) * gk};
    if (std::isinf(p)) return {sign(x) * extremum_backward(g, abs(x), y, r)};
    if (p == 2.0) return {x * where(eq(yk, 0.0), zero, gk / yk)};
    if (p < 1.0) {  // |x|^(p-1) is infinite at x = 0, where the term contributes nothing
      Tensor scaled = sign(x) * where(eq(x, 0.0), zero, pow(abs(x), p - 1.0));
      return {scaled * (gk * pow(yk, 1.0 - p))};
    }
    Tensor scaled = sign(x) * pow(abs(x), p - 1.0);
    return {scaled * where(eq(yk, 0.0), zero, gk / pow(yk, p - 1.0))};
  });
}

// ---- softmax family: the backward uses the forward's output y, not x

// x: [*] -> [*] along dim. dy_i/dx_j = y_i (δij - y_j), so dx = y * (g - sum(g * y, dim)).
Variable softmax(const Variable& x, int64_t dim) {
  check_defined(x, "softmax");
  Tensor y = softmax(x.data(), dim);
  return record("softmax", y, {x}, saved(y), [y, dim](const Tensor& g) -> Grads {
    return {y * (g - sum(g * y, Shape{dim}, /*keepdim=*/true))};
  });
}

// x: [*] -> [*] along dim. y = x - logsumexp(x), so dx = g - softmax(x) * sum(g, dim) with softmax(x) = exp(y).
Variable log_softmax(const Variable& x, int64_t dim) {
  check_defined(x, "log_softmax");
  Tensor y = log_softmax(x.data(), dim);
  return record("log_softmax", y, {x}, saved(y), [y, dim](const Tensor& g) -> Grads {
    return {g - exp(y) * sum(g, Shape{dim}, /*keepdim=*/true)};
  });
}

}  // namespace glimpse
