// Differentiable elementwise ops on Variables: unary math, broadcasting binaries, scalars, where/masked_fill, dropout.
//
// Each is defined in ops_elementwise.cpp as forward-then-backward in one function (see node.h for the pattern).
// Comparisons are not here: they have no gradient, so compare the Tensors (`gt(x.data(), 0.0)`).
#pragma once

#include <string>

#include "autograd/variable.h"
#include "tensor/random.h"

namespace glimpse {

// ---- unary, x: [*] -> [*]
Variable neg(const Variable& x);
Variable abs(const Variable& x);
Variable exp(const Variable& x);
Variable log(const Variable& x);
Variable log1p(const Variable& x);
Variable sqrt(const Variable& x);
Variable rsqrt(const Variable& x);
Variable square(const Variable& x);
Variable sin(const Variable& x);
Variable cos(const Variable& x);
Variable tanh(const Variable& x);
Variable sigmoid(const Variable& x);
Variable relu(const Variable& x);
Variable gelu(const Variable& x, const std::string& approximate = "none");
Variable clamp(const Variable& x, double min, double max);  // gradient 1 inside [min, max], 0 outside
Variable pow(const Variable& x, double exponent);

// ---- binary with broadcasting, a: [*A], b: [*B] -> [broadcast(A, B)]; gradients are summed back to [*A] and [*B]
Variable add(const Variable& a, const Variable& b);
Variable sub(const Variable& a, const Variable& b);
Variable mul(const Variable& a, const Variable& b);
Variable div(const Variable& a, const Variable& b);
Variable pow(const Variable& a, const Variable& b);  // a > 0 where b's gradient is wanted
Variable maximum(const Variable& a, const Variable& b);  // ties split the gradient evenly, as in PyTorch
Variable minimum(const Variable& a, const Variable& b);

// ---- with a scalar, x: [*] -> [*]
Variable add(const Variable& x, double s);
Variable sub(const Variable& x, double s);
Variable rsub(const Variable& x, double s);  // s - x
Variable mul(const Variable& x, double s);
Variable div(const Variable& x, double s);
Variable rdiv(const Variable& x, double s);  // s / x

// ---- selection: cond/mask are plain Tensors (no gradient); the gradient flows only through the values kept.
Variable where(const Tensor& cond, const Variable& a, const Variable& b);
Variable masked_fill(const Variable& x, const Tensor& mask, double value);

// Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1 / (1 - p), so
// evaluation (training = false) is the identity. x: [*] -> [*]
Variable dropout(const Variable& x, double p, bool training = true, Generator& gen = default_generator());

// ---- operators
inline Variable operator-(const Variable& x) { return neg(x); }
inline Variable operator+(const Variable& a, const Variable& b) { return add(a, b); }
inline Variable operator-(const Variable& a, const Variable& b) { return sub(a, b); }
inline Variable operator*(const Variable& a, const Variable& b) { return mul(a, b); }
inline Variable operator/(const Variable& a, const Variable& b) { return div(a, b); }
inline Variable operator+(const Variable& x, double s) { return add(x, s); }
inline Variable operator-(const Variable& x, double s) { return sub(x, s); }
inline Variable operator*(const Variable& x, double s) { return mul(x, s); }
inline Variable operator/(const Variable& x, double s) { return div(x, s); }
inline Variable operator+(double s, const Variable& x) { return add(x, s); }
inline Variable operator-(double s, const Variable& x) { return rsub(x, s); }
inline Variable operator*(double s, const Variable& x) { return mul(x, s); }
inline Variable operator/(double s, const Variable& x) { return rdiv(x, s); }
// A plain Tensor beside a Variable is a constant: the gradient flows to the Variable only (x * mask, x - mean).
inline Variable operator+(const Variable& x, const Tensor& t) { return add(x, Variable(t)); }
inline Variable operator-(const Variable& x, const Tensor& t) { return sub(x, Variable(t)); }
inline Variable operator*(const Variable& x, const Tensor& t) { return mul(x, Variable(t)); }
inline Variable operator/(const Variable& x, const Tensor& t) { return div(x, Variable(t)); }
inline Variable operator+(const Tensor& t, const Variable& x) { return add(Variable(t), x); }
inline Variable operator-(const Tensor& t, const Variable& x) { return sub(Variable(t), x); }
inline Variable operator*(const Tensor& t, const Variable& x) { return mul(Variable(t), x); }
inline Variable operator/(const Tensor& t, const Variable& x) { return div(Variable(t), x); }

}  // namespace glimpse
