// Differentiable elementwise ops. Each function is the whole story of one op: the forward on Tensors, then the
// backward closure that turns the output's gradient `g` into one gradient per input (the chain rule, written out).
// Gradients of broadcast inputs come back in the output's shape; the engine sums them down to each input's shape.
#include "autograd/ops_elementwise.h"

#include "autograd/node.h"
#include "tensor/elementwise.h"

namespace glimpse {
namespace {
// A 0-d zero of t's dtype, for where() in backward closures (broadcasts to any shape).
Tensor zero_like_scalar(const Tensor& t) { return scalar_tensor(0.0, t.dtype()); }
}  // namespace

// ---- unary: y = f(x), dx = g * f'(x)

Variable neg(const Variable& x) {
  check_defined(x, "neg");
  return record("neg", neg(x.data()), {x}, [](const Tensor& g) -> Grads { return {neg(g)}; });
}

Variable abs(const Variable& x) {
  check_defined(x, "abs");
  return record("abs", abs(x.data()), {x}, saved(x.data()),
                [x = x.data()](const Tensor& g) -> Grads { return {g * sign(x)}; });
}

Variable exp(const Variable& x) {
  check_defined(x, "exp");
  Tensor y = exp(x.data());
  return record("exp", y, {x}, saved(y), [y](const Tensor& g) -> Grads { return {g * y}; });  // (e^x)' = e^x
}

Variable log(const Variable& x) {
  check_defined(x, "log");
  return record("log", log(x.data()), {x}, saved(x.data()),
                [x = x.data()](const Tensor& g) -> Grads { return {g / x}; });
}

Variable log1p(const Variable& x) {
  check_defined(x, "log1p");
  return record("log1p", log1p(x.data()), {x}, saved(x.data()),
                [x = x.data()](const Tensor& g) -> Grads { return {g / (x + 1.0)}; });
}

Variable sqrt(const Variable& x) {
  check_defined(x, "sqrt");
  Tensor y = sqrt(x.data());
  return record("sqrt", y, {x}, saved(y), [y](const Tensor& g) -> Grads { return {g * 0.5 / y}; });  // 1 / (2 sqrt(x))
}

Variable rsqrt(const Variable& x) {
  check_defined(x, "rsqrt");
  Tensor y = rsqrt(x.data());
  // (x^-1/2)' = -1/2 x^-3/2 = -1/2 y^3
  return record("rsqrt", y, {x}, saved(y), [y](const Tensor& g) -> Grads { return {g * (y * y * y) * -0.5}; });
}

Variable square(const Variable& x) {
  check_defined(x, "square");
  return record("square", square(x.data()), {x}, saved(x.data()),
                [x = x.data()](const Tensor& g) -> Grads { return {g * x * 2.0}; });
}

Variable sin(const Variable& x) {
  check_defined(x, "sin");
  return record("sin", sin(x.data()), {x}, saved(x.data()),
                [x = x.data()](const Tensor& g) -> Grads { return {g * cos(x)}; });
}

Variable cos(const Variable& x) {
  check_defined(x, "cos");
  return record("cos", cos(x.data()), {x}, saved(x.data()),
                [x = x.data()](const Tensor& g) -> Grads { return {-(g * sin(x))}; });
}

Variable tanh(const Variable& x) {
  check_defined(x, "tanh");
  Tensor y = tanh(x.data());
  return record("tanh", y, {x}, saved(y), [y](const Tensor& g) -> Grads { return {tanh_backward(g, y)}; });  // g (1 - tanh²)
}

Variable sigmoid(const Variable& x) {
  check_defined(x, "sigmoid");
  Tensor y = sigmoid(x.data());
  return record("sigmoid", y, {x}, saved(y),
                [y](const Tensor& g) -> Grads { return {sigmoid_backward(g, y)}; });  // g σ(1 - σ)
}

Variable relu(const Variable& x) {
  check_defined(x, "relu");
  Tensor y = relu(x.data());
  // The gradient passes where the input was positive (PyTorch's choice at exactly 0: no gradient).
  return record("relu", y, {x}, saved(y),
                [y](const Tensor& g) -> Grads { return {where(gt(y, 0.0), g, zero_like_scalar(g))}; });
}

Variable gelu(const Variable& x, const std::string& approximate) {
  check_defined(x, "gelu");
  return record("gelu", gelu(x.data(), approximate), {x}, saved(x.data()),
                [x = x.data(), approximate](const Tensor& g) -> Grads {
    return {gelu_backward(g, x, approximate)};
  });
}

Variable clamp(const Variable& x, double lo, double hi) {
  check_defined(x, "clamp");
  return record("clamp", clamp(x.data(), lo, hi), {x}, saved(x.data()),
                [x = x.data(), lo, hi](const Tensor& g) -> Grads {
    Tensor inside = mul(ge(x, lo), le(x, hi));  // 1 where min <= x <= max
    return {where(inside, g, zero_like_scalar(g))};
  });
}

Variable pow(const Variable& x, double e) {
  check_defined(x, "pow");
  return record("pow", pow(x.data(), e), {x}, saved(x.data()), [x = x.data(), e](const Tensor& g) -> Grads {
    // (x^e)' = e x^(e-1); for e = 0 that would be 0 * inf = NaN at x = 0, but x^0 is a constant
    return {e == 0.0 ? zeros_like(g) : g * pow(x, e - 1.0) * e};
  });
}

// ---- binary: the output's gradient, routed to each input (the engine un-broadcasts)

Variable add(const Variable& a, const Variable& b) {
  check_defined(a, "add");
  check_defined(b, "add");
  return record("add", add(a.data(), b.data()), {a, b}, [](const Tensor& g) -> Grads { return {g, g}; });
}

Variable sub(const Variable& a, const Variable& b) {
  check_defined(a, "sub");
  check_defined(b, "sub");
  return record("sub", sub(a.data(), b.data()), {a, b}, [](const Tensor& g) -> Grads { return {g, neg(g)}; });
}

Variable mul(const Variable& a, const Variable& b) {
  check_defined(a, "mul");
  check_defined(b, "mul");
  bool need_a = a.requires_grad(), need_b = b.requires_grad();
  // Each gradient needs only the other operand: keep (and check) a only if db is wanted, b only if da is.
  Tensor a_kept = need_b ? a.data() : Tensor(), b_kept = need_a ? b.data() : Tensor();
  return record("mul", mul(a.data(), b.data()), {a, b}, saved(a_kept, b_kept),
                [a = a_kept, b = b_kept, need_a, need_b](const Tensor& g) -> Grads {
                  return {need_a ? g * b : Tensor(), need_b ? g * a : Tensor()};
                });
}

Variable div(const Variable& a, const Variable& b) {
  check_defined(a, "div");
  check_defined(b, "div");
  bool need_b = b.requires_grad();
  Tensor y = div(a.data(), b.data());
  return record("div", y, {a, b}, saved(b.data(), y), [b = b.data(), y, need_b](const Tensor& g) -> Grads {
    Tensor ga = g / b;                               // d(a/b)/da = 1/b
    return {ga, need_b ? -(ga * y) : Tensor()};     // d(a/b)/db = -a/b² = -(1/b)(a/b)
  });
}

Variable pow(const Variable& a, const Variable& b) {
  check_defined(a, "pow");
  check_defined(b, "pow");
  bool need_b = b.requires_grad();
  Tensor y = pow(a.data(), b.data());
  return record("pow", y, {a, b}, saved(a.data(), b.data(), y),
                [a = a.data(), b = b.data(), y, need_b](const Tensor& g) -> Grads {
    // d(a^b)/da = b a^(b-1); where b = 0, a^0 is constant (and 0 * 0^-1 would be NaN)
    Tensor ga = where(eq(b, 0.0), zero_like_scalar(g), g * b * pow(a, b - 1.0));
    // d(a^b)/db = a^b ln a; at a = 0, b >= 0 that is 0 * -inf, which PyTorch defines as 0
    return {ga, need_b ? where(mul(eq(a, 0.0), ge(b, 0.0)), zero_like_scalar(g), g * y * log(a)) : Tensor()};
  });
}

namespace {
// Gradient routing for maximum/minimum: the winner takes g, a tie splits it in half.
Grads route_extremum(const Tensor& g, const Tensor& a, const Tensor& b, bool a_wins_when_greater) {
  Tensor a_wins = a_wins_when_greater ? gt(a, b) : lt(a, b);
  Tensor tie = eq(a, b);
  Tensor share_a = add(a_wins.to(g.dtype()), mul(tie.to(g.dtype()), 0.5));
  return {g * share_a, g * (1.0 - share_a)};
}
}  // namespace

Variable maximum(const Variable& a, const Variable& b) {
  check_defined(a, "maximum");
  check_defined(b, "maximum");
  return record("maximum", maximum(a.data(), b.data()), {a, b},
                saved(a.data(), b.data()),
                [a = a.data(), b = b.data()](const Tensor& g) -> Grads { return route_extremum(g, a, b, true); });
}

Variable minimum(const Variable& a, const Variable& b) {
  check_defined(a, "minimum");
  check_defined(b, "minimum");
  return record("minimum", minimum(a.data(), b.data()), {a, b},
                saved(a.data(), b.data()),
                [a = a.data(), b = b.data()](const Tensor& g) -> Grads { return route_extremum(g, a, b, false); });
}

// ---- with a scalar

Variable add(const Variable& x, double s) {
  check_defined(x, "add");
  return record("add", add(x.data(), s), {x}, [](const Tensor& g) -> Grads { return {g}; });
}
Variable sub(const Variable& x, double s) {
  check_defined(x, "sub");
  return record("sub", sub(x.data(), s), {x}, [](const Tensor& g) -> Grads { return {g}; });
}
Variable rsub(const Variable& x, double s) {
  check_defined(x, "rsub");
  return record("rsub", rsub(x.data(), s), {x}, [](const Tensor& g) -> Grads { return {neg(g)}; });
}
Variable mul(const Variable& x, double s) {
  check_defined(x, "mul");
  return record("mul", mul(x.data(), s), {x}, [s](const Tensor& g) -> Grads { return {g * s}; });
}
Variable div(const Variable& x, double s) {
  check_defined(x, "div");
  return record("div", div(x.data(), s), {x}, [s](const Tensor& g) -> Grads { return {g / s}; });
}
Variable rdiv(const Variable& x, double s) {
  check_defined(x, "rdiv");
  Tensor y = rdiv(x.data(), s);
  // d(s/x)/dx = -s/x² = -(s/x)/x
  return record("rdiv", y, {x}, saved(x.data(), y),
                [x = x.data(), y](const Tensor& g) -> Grads { return {-(g * y / x)}; });
}

// ---- selection

Variable where(const Tensor& cond, const Variable& a, const Variable& b) {
  check_defined(a, "where");
  check_defined(b, "where");
  return record("where", where(cond, a.data(), b.data()), {a, b}, saved(cond), [cond](const Tensor& g) -> Grads {
    Tensor zero = zero_like_scalar(g);
    return {where(cond, g, zero), where(cond, zero, g)};
  });
}

Variable masked_fill(const Variable& x, const Tensor& mask, double value) {
  check_defined(x, "masked_fill");
  return record("masked_fill", masked_fill(x.data(), mask, value), {x}, saved(mask), [mask](const Tensor& g) -> Grads {
    return {where(mask, zero_like_scalar(g), g)};  // filled positions no longer depend on x
  });
}

Variable dropout(const Variable& x, double p, bool training, Generator& gen) {
  check_defined(x, "dropout");
  check(p >= 0.0 && p <= 1.0, "dropout: probability p must be in [0, 1], got {}", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, 0.0);
  // keep ~ Bernoulli(1 - p), scaled so that the expected value is unchanged.
  Tensor keep = bernoulli(full(x.shape(), 1.0 - p, x.dtype()), gen);
  Tensor scale = mul(keep, 1.0 / (1.0 - p));
  return record("dropout", mul(x.data(), scale), {x}, saved(scale),
                [scale](const Tensor& g) -> Grads { return {g * scale}; });
}

}  // namespace glimpse
