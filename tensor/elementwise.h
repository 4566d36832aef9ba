// Elementwise math on Tensors: unary functions, broadcasting binaries, comparisons, where/masked_fill, clamp.
//
// Every op returns a new contiguous tensor and leaves its inputs alone. Binary ops broadcast NumPy-style and promote
// dtypes (int64 < float32 < float64); a scalar operand takes the tensor's dtype (an int64 tensor with a non-integral
// scalar becomes float32, as in PyTorch). Comparisons return int64 masks of 0 and 1.
#pragma once

#include "tensor/tensor.h"

namespace glimpse {

// ---- unary, x: [*] -> [*]
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sign(const Tensor& x);
// GELU: approximate = "none" is x * Φ(x) with the exact erf; "tanh" is PyTorch's tanh approximation.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
// The derivative of gelu times grad, in one pass: grad, x: [*] -> [*]
Tensor gelu_backward(const Tensor& grad, const Tensor& x, const std::string& approximate = "none");
// The derivatives from the saved outputs, in one pass each: grad * (1 - y²) for y = tanh(x), grad * y (1 - y) for
// y = sigmoid(x). grad, y: [*] -> [*]
Tensor tanh_backward(const Tensor& grad, const Tensor& y);
Tensor sigmoid_backward(const Tensor& grad, const Tensor& y);
Tensor clamp(const Tensor& x, double min, double max);
Tensor clamp_min(const Tensor& x, double min);
Tensor clamp_max(const Tensor& x, double max);
Tensor pow(const Tensor& x, double exponent);

// ---- binary with broadcasting, a: [*A], b: [*B] -> [broadcast(A, B)]
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Comparisons give int64 masks (1 where true).
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

// ---- scalar on either side, x: [*] -> [*]
Tensor add(const Tensor& x, double s);
Tensor sub(const Tensor& x, double s);
Tensor rsub(const Tensor& x, double s);  // s - x
Tensor mul(const Tensor& x, double s);
Tensor div(const Tensor& x, double s);
Tensor rdiv(const Tensor& x, double s);  // s / x

// ---- selection. cond/mask: any dtype, non-zero means true; all operands broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);  // cond ? a : b
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);  // x with value where mask

// ---- in place (the optimizers' and initialisers' tools): dst: [*] op= src broadcast to [*]
Tensor& add_(Tensor& dst, const Tensor& src, double alpha = 1.0);  // dst += alpha * src
Tensor& mul_(Tensor& dst, double s);                               // dst *= s

// ---- operators
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return sub(a, s); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return div(a, s); }
inline Tensor operator+(double s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(double s, const Tensor& a) { return rsub(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
inline Tensor operator/(double s, const Tensor& a) { return rdiv(a, s); }

// Are all elements of a and b within atol + rtol * |b| of each other (shapes must broadcast)? For tests.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);
// Are shapes and every element equal?
bool equal(const Tensor& a, const Tensor& b);

}  // namespace glimpse
