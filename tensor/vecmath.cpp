// Vectorised float32 math on xsimd (vecmath.h says what and why).
//
// V is xsimd's batch of floats for the widest instruction set the compiler was told the CPU has (-march=native on
// this project: AVX-512, 16 lanes; plain x86-64: SSE2, 4 lanes). Its operators (+ - * /, also with a float) make the
// formulas below read like the scalar ones, and xsimd's exp/log/tanh/erf are inlined into the loops.
#include "tensor/vecmath.h"

#include <xsimd/xsimd.hpp>

#include <algorithm>

namespace glimpse::vec {
namespace {

using V = xsimd::batch<float>;  // the widest float vector of the CPU compiled for: 16 lanes with AVX-512
constexpr int kW = static_cast<int>(V::size);
V load(const float* p) { return V::load_unaligned(p); }
void store(float* p, V v) { v.store_unaligned(p); }
// xsimd's exp gives inf from x > 88.38 although the true exp is finite up to 88.72, and 0 below -87.34 where the true
// result is a (denormal) number. In those rare tails exp(x) = exp(x/2)², within 2 ulp; the check costs one compare.
V exp_v(V x) {
  V e = xsimd::exp(x);
  const auto tail = xsimd::abs(x) > 87.0f;
  if (xsimd::any(tail)) {
    const V half = xsimd::exp(0.5f * x);
    e = xsimd::select(tail, half * half, e);
  }
  return e;
}
V log_v(V x) { return xsimd::log(x); }
V tanh_v(V x) { return xsimd::tanh(x); }
V erf_v(V x) { return xsimd::erf(x); }

// y[i] = f(x[i]) a vector at a time. The last partial vector is computed in a zero-padded copy, so no load or store
// ever reaches past the arrays.
template <class F>
void apply(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + kW <= n; i += kW) store(y + i, f(load(x + i)));
  if (i < n) {
    float in[kW] = {}, out[kW];
    std::copy(x + i, x + n, in);
    store(out, f(load(in)));
    std::copy(out, out + (n - i), y + i);
  }
}

// y[i] = f(a[i], b[i]), the same way.
template <class F>
void apply(const float* a, const float* b, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + kW <= n; i += kW) store(y + i, f(load(a + i), load(b + i)));
  if (i < n) {
    float in_a[kW] = {}, in_b[kW] = {}, out[kW];
    std::copy(a + i, a + n, in_a);
    std::copy(b + i, b + n, in_b);
    store(out, f(load(in_a), load(in_b)));
    std::copy(out, out + (n - i), y + i);
  }
}

constexpr float kSqrtHalf = 0.70710678118654752f;       // 1 / √2
constexpr float kInvSqrt2Pi = 0.39894228040143268f;     // 1 / √(2π), the normal density at 0
constexpr float kSqrt2OverPi = 0.79788456080286536f;    // √(2/π)
constexpr float kGeluCubic = 0.044715f;

}  // namespace

void exp(const float* x, float* y, int64_t n) { apply(x, y, n, [](V v) { return exp_v(v); }); }
void log(const float* x, float* y, int64_t n) { apply(x, y, n, [](V v) { return log_v(v); }); }
void tanh(const float* x, float* y, int64_t n) { apply(x, y, n, [](V v) { return tanh_v(v); }); }
void erf(const float* x, float* y, int64_t n) { apply(x, y, n, [](V v) { return erf_v(v); }); }

// e^-x overflows to inf for x < -88, and 1 / (1 + inf) is the right 0, so no branch is needed.
void sigmoid(const float* x, float* y, int64_t n) {
  apply(x, y, n, [](V v) { return 1.0f / (1.0f + exp_v(-v)); });
}

void gelu(const float* x, float* y, int64_t n, bool approximate) {
  if (approximate) {
    apply(x, y, n, [](V v) { return 0.5f * v * (1.0f + tanh_v(kSqrt2OverPi * (v + kGeluCubic * v * v * v))); });
  } else {
    apply(x, y, n, [](V v) { return 0.5f * v * (1.0f + erf_v(v * kSqrtHalf)); });
  }
}

void gelu_backward(const float* g, const float* x, float* dx, int64_t n, bool approximate) {
  if (approximate) {
    // d/dx of 0.5 x (1 + t), t = tanh(u), u = k (x + c x³):  0.5 (1 + t) + 0.5 x (1 - t²) k (1 + 3 c x²)
    apply(g, x, dx, n, [](V gv, V v) {
      const V t = tanh_v(kSqrt2OverPi * (v + kGeluCubic * v * v * v));
      return gv * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * v * v));
    });
  } else {
    // d/dx [x Φ(x)] = Φ(x) + x φ(x)
    apply(g, x, dx, n, [](V gv, V v) {
      const V cdf = 0.5f * (1.0f + erf_v(v * kSqrtHalf));
      const V pdf = kInvSqrt2Pi * exp_v(-0.5f * v * v);
      return gv * (cdf + v * pdf);
    });
  }
}

}  // namespace glimpse::vec
