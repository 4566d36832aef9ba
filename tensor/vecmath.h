// Vectorised transcendental math on float32 arrays: exp, log, tanh, sigmoid, erf, GELU and GELU's derivative.
//
// The elementwise kernels (elementwise.cpp), the recurrent cells (nn/lstm.cpp, nn/gru.cpp) and the fused kernels call
// these on contiguous runs instead of calling the scalar libm once per element: std::tanh or std::erf is an opaque
// library call the compiler cannot vectorise, and it was most of the time of a GPT's GELU and a seq2seq model's tanh.
// The work is done by xsimd's math (Debian's libxsimd-dev, header-only, the xtl family of the design card), 16 floats
// at a time with AVX-512, 8 with AVX2, 4 with SSE2. (SLEEF, which PyTorch uses, was measured too: same accuracy,
// but 3x slower on tanh and 4x on erf here, because each call goes through a dispatch pointer into a shared library;
// README, Decisions.)
//
// Accuracy, checked by tests/tensor/test_vecmath.cpp over a dense sweep of float32 inputs against the float64 libm
// result rounded to float32 (the correctly rounded answer): exp, log and tanh within 1 ulp, erf within 2 ulp; so the
// vectorised and the scalar float32 libm results differ by at most 2 ulp (3 for erf). Composed functions (sigmoid,
// GELU) inherit a few ulp of relative error from their parts. float64 stays on the scalar libm everywhere: it serves
// gradcheck and reference tests, where exactness matters more than speed.
//
// Every function takes n elements and may write in place (y == x).
#pragma once

#include <cstdint>

namespace glimpse::vec {

void exp(const float* x, float* y, int64_t n);
void log(const float* x, float* y, int64_t n);
void tanh(const float* x, float* y, int64_t n);
void erf(const float* x, float* y, int64_t n);
// 1 / (1 + e^-x)
void sigmoid(const float* x, float* y, int64_t n);
// x Φ(x) (approximate = false) or 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) (approximate = true)
void gelu(const float* x, float* y, int64_t n, bool approximate);
// dx = g * d gelu(x) / dx; dx may alias g or x.
void gelu_backward(const float* g, const float* x, float* dx, int64_t n, bool approximate);

}  // namespace glimpse::vec
