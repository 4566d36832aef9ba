// Elementwise kernels. Three loops do all the work:
//   map      y[i] = f(x[i])            (unary ops and tensor-with-scalar ops)
//   zip      y[i] = f(a[i], b[i])      (broadcasting binaries and comparisons)
//   where    y[i] = c[i] ? a[i] : b[i]
// Each walks its operands with for_each_block (iter.h); when a row is contiguous in every operand the inner loop is a
// plain indexed loop that the compiler vectorises, otherwise it steps by the strides. Tensors of more than
// 2 x kParallelGrain elements are split across threads (parallel.h); smaller ones run on the calling thread.
// Transcendental functions (exp, log, tanh, sigmoid, GELU) on contiguous float32 go through vecmath.h (SLEEF) instead:
// the compiler cannot vectorise a loop that calls the scalar libm.
#include "tensor/elementwise.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "tensor/iter.h"
#include "tensor/parallel.h"
#include "tensor/vecmath.h"

namespace glimpse {
namespace {

// y = f(x), y of dtype TOut, x of dtype TIn (already checked by the caller).
template <class TOut, class TIn, class F>
Tensor map(const Tensor& x, DType out_dtype, F f) {
  Tensor y = empty(x.shape(), out_dtype);
  TOut* out = y.data<TOut>();
  const TIn* in = x.data<TIn>();
  if (x.is_contiguous()) {
    parallel_for(x.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[i] = f(in[i]);
    });
    return y;
  }
  parallel_for_each_block<2>(x.shape(), {&y.strides(), &x.strides()}, [&](const Block<2>& b) {
    TOut* o = out + b.offset[0];
    const TIn* p = in + b.offset[1];
    for (int64_t i = 0; i < b.n; ++i) o[i] = f(p[i * b.stride[1]]);
  });
  return y;
}

// Unary op defined for float types only; `f` is a generic lambda instantiated for float and double.
template <class F>
Tensor map_float(const Tensor& x, const char* op, F f) {
  check_defined(x, op);
  return dispatch_float(x.dtype(), op, [&]<class T>() { return map<T, T>(x, x.dtype(), f); });
}

// A unary float op with a vectorised float32 path: a contiguous float32 input goes through vec_f32(in, out, n)
// (vecmath.h) range by range; float64 and strided inputs take the scalar f.
template <class VecF, class F>
Tensor map_float_vec(const Tensor& x, const char* op, VecF vec_f32, F f) {
  check_defined(x, op);
  if (x.dtype() != kFloat32 || !x.is_contiguous()) return map_float(x, op, f);
  Tensor y = empty(x.shape(), kFloat32);
  const float* in = x.data<float>();
  float* out = y.data<float>();
  parallel_for(x.numel(), kParallelGrain, [&](int64_t begin, int64_t end) { vec_f32(in + begin, out + begin, end - begin); });
  return y;
}

// Unary op defined for every dtype.
template <class F>
Tensor map_any(const Tensor& x, const char* op, F f) {
  check_defined(x, op);
  return dispatch(x.dtype(), [&]<class T>() { return map<T, T>(x, x.dtype(), f); });
}

// out = f(a, b) with broadcasting. a and b already have dtype TIn; out has dtype TOut.
template <class TOut, class TIn, class F>
void zip_into(Tensor& out, const Tensor& a, const Tensor& b, F f) {
  const Shape& shape = out.shape();
  TOut* o = out.data<TOut>();
  const TIn* pa = a.data<TIn>();
  const TIn* pb = b.data<TIn>();
  if (a.shape() == shape && b.shape() == shape && a.is_contiguous() && b.is_contiguous()) {
    parallel_for(out.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) o[i] = f(pa[i], pb[i]);
    });
    return;
  }
  Strides sa = broadcast_strides(a.shape(), a.strides(), shape);
  Strides sb = broadcast_strides(b.shape(), b.strides(), shape);
  parallel_for_each_block<3>(shape, {&out.strides(), &sa, &sb}, [&](const Block<3>& blk) {
    TOut* y = o + blk.offset[0];
    const TIn* x1 = pa + blk.offset[1];
    const TIn* x2 = pb + blk.offset[2];
    const int64_t n = blk.n, s1 = blk.stride[1], s2 = blk.stride[2];
    if (s1 == 1 && s2 == 1) {
      for (int64_t i = 0; i < n; ++i) y[i] = f(x1[i], x2[i]);
    } else if (s1 == 1 && s2 == 0) {
      const TIn v = *x2;
      for (int64_t i = 0; i < n; ++i) y[i] = f(x1[i], v);
    } else if (s1 == 0 && s2 == 1) {
      const TIn v = *x1;
      for (int64_t i = 0; i < n; ++i) y[i] = f(v, x2[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = f(x1[i * s1], x2[i * s2]);
    }
  });
}

// Broadcasting binary op in the promoted dtype. `compare` ops produce int64 masks.
template <class F>
Tensor zip(const Tensor& a, const Tensor& b, const char* op, bool compare, bool float_only, F f) {
  check_defined(a, op);
  check_defined(b, op);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  DType dt = promote(a.dtype(), b.dtype());
  if (float_only && dt == kInt64) dt = kFloat32;  // e.g. int64 / int64 is a true division, as in PyTorch
  Tensor ca = a.to(dt), cb = b.to(dt);
  Tensor out = empty(shape, compare ? kInt64 : dt);
  dispatch(dt, [&]<class T>() {
    if (compare) {
      zip_into<int64_t, T>(out, ca, cb, [&](T x, T y) { return static_cast<int64_t>(f(x, y)); });
    } else {
      zip_into<T, T>(out, ca, cb, [&](T x, T y) { return static_cast<T>(f(x, y)); });
    }
  });
  return out;
}

// x op scalar: the scalar takes x's dtype, except that an int64 x with a non-integral scalar (or a true division) is
// computed in float32.
template <class F>
Tensor with_scalar(const Tensor& x, double s, const char* op, bool float_only, F f) {
  check_defined(x, op);
  bool needs_float = x.dtype() == kInt64 && (float_only || s != std::floor(s));
  const Tensor& src = needs_float ? x.to(kFloat32) : x;
  return dispatch(src.dtype(), [&]<class T>() {
    const T v = static_cast<T>(s);
    return map<T, T>(src, src.dtype(), [&](T a) { return static_cast<T>(f(a, v)); });
  });
}

template <class F>
Tensor compare_scalar(const Tensor& x, double s, const char* op, F f) {
  check_defined(x, op);
  return dispatch(x.dtype(), [&]<class T>() {
    // The scalar takes the tensor's dtype first (as in PyTorch): a float32 0.1 equals the scalar 0.1.
    // An int64 tensor against a non-integral scalar compares as real numbers (0 < 0.5 is true).
    if (std::is_integral_v<T> && s != std::floor(s)) {
      return map<int64_t, T>(x, kInt64, [&](T a) { return static_cast<int64_t>(f(static_cast<double>(a), s)); });
    }
    const T v = static_cast<T>(s);
    return map<int64_t, T>(x, kInt64, [&](T a) { return static_cast<int64_t>(f(a, v)); });
  });
}

// A binary float op with the same vectorised path for two contiguous float32 operands of one shape.
template <class VecF, class F>
Tensor zip_float_vec(const Tensor& a, const Tensor& b, const char* op, VecF vec_f32, F f) {
  check_defined(a, op);
  check_defined(b, op);
  if (a.dtype() != kFloat32 || b.dtype() != kFloat32 || a.shape() != b.shape() || !a.is_contiguous() ||
      !b.is_contiguous()) {
    return zip(a, b, op, false, true, f);
  }
  Tensor y = empty(a.shape(), kFloat32);
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* out = y.data<float>();
  parallel_for(a.numel(), kParallelGrain,
               [&](int64_t begin, int64_t end) { vec_f32(pa + begin, pb + begin, out + begin, end - begin); });
  return y;
}

template <class T>
T gelu_exact(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(M_SQRT1_2)));
}
template <class T>
T gelu_tanh(T x) {
  const T k = T(M_2_SQRTPI * M_SQRT1_2);  // sqrt(2 / pi)
  return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
}

}  // namespace

// ---- unary
Tensor neg(const Tensor& x) { return map_any(x, "neg", [](auto v) { return -v; }); }
Tensor abs(const Tensor& x) { return map_any(x, "abs", [](auto v) { return v < 0 ? -v : v; }); }
Tensor exp(const Tensor& x) { return map_float_vec(x, "exp", vec::exp, [](auto v) { return std::exp(v); }); }
Tensor log(const Tensor& x) { return map_float_vec(x, "log", vec::log, [](auto v) { return std::log(v); }); }
Tensor log1p(const Tensor& x) { return map_float(x, "log1p", [](auto v) { return std::log1p(v); }); }
Tensor sqrt(const Tensor& x) { return map_float(x, "sqrt", [](auto v) { return std::sqrt(v); }); }
Tensor rsqrt(const Tensor& x) {
  return map_float(x, "rsqrt", [](auto v) { return decltype(v)(1) / std::sqrt(v); });
}
Tensor square(const Tensor& x) { return map_any(x, "square", [](auto v) { return v * v; }); }
Tensor sin(const Tensor& x) { return map_float(x, "sin", [](auto v) { return std::sin(v); }); }
Tensor cos(const Tensor& x) { return map_float(x, "cos", [](auto v) { return std::cos(v); }); }
Tensor tanh(const Tensor& x) { return map_float_vec(x, "tanh", vec::tanh, [](auto v) { return std::tanh(v); }); }
Tensor sigmoid(const Tensor& x) {
  return map_float_vec(x, "sigmoid", vec::sigmoid, [](auto v) {
    using T = decltype(v);
    // Two branches so that exp never overflows: for v < 0 use e^v / (1 + e^v).
    if (v >= 0) return T(1) / (T(1) + std::exp(-v));
    T e = std::exp(v);
    return e / (T(1) + e);
  });
}
Tensor relu(const Tensor& x) { return map_any(x, "relu", [](auto v) { return v <= 0 ? decltype(v)(0) : v; }); }  // NaN stays NaN
Tensor sign(const Tensor& x) {
  return map_any(x, "sign", [](auto v) { return static_cast<decltype(v)>((v > 0) - (v < 0)); });
}
Tensor gelu(const Tensor& x, const std::string& approximate) {
  check(approximate == "none" || approximate == "tanh", "gelu: approximate must be \"none\" or \"tanh\", got \"{}\"",
        approximate);
  const bool approx = approximate == "tanh";
  auto vec_f32 = [approx](const float* in, float* out, int64_t n) { vec::gelu(in, out, n, approx); };
  if (approx) return map_float_vec(x, "gelu", vec_f32, [](auto v) { return gelu_tanh(v); });
  return map_float_vec(x, "gelu", vec_f32, [](auto v) { return gelu_exact(v); });
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x, const std::string& approximate) {
  check(x.dtype() != kInt64, "gelu_backward: dtype int64 is not supported");
  check(approximate == "none" || approximate == "tanh",
        "gelu_backward: approximate must be \"none\" or \"tanh\", got \"{}\"", approximate);
  const bool approx = approximate == "tanh";
  auto vec_f32 = [approx](const float* g, const float* v, float* out, int64_t n) {
    vec::gelu_backward(g, v, out, n, approx);
  };
  if (approx) {
    return zip_float_vec(grad, x, "gelu_backward", vec_f32, [](auto g, auto v) {
      using T = decltype(v);
      const T k = T(M_2_SQRTPI * M_SQRT1_2), c = T(0.044715);
      T t = std::tanh(k * (v + c * v * v * v));
      return g * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * k * (T(1) + T(3) * c * v * v));
    });
  }
  return zip_float_vec(grad, x, "gelu_backward", vec_f32, [](auto g, auto v) {
    using T = decltype(v);
    // d/dx [x Φ(x)] = Φ(x) + x φ(x)
    T cdf = T(0.5) * (T(1) + std::erf(v * T(M_SQRT1_2)));
    T pdf = std::exp(T(-0.5) * v * v) * T(M_2_SQRTPI * M_SQRT1_2 * 0.5);
    return g * (cdf + v * pdf);
  });
}

Tensor tanh_backward(const Tensor& grad, const Tensor& y) {
  return zip(grad, y, "tanh_backward", false, true, [](auto g, auto t) { return g * (decltype(t)(1) - t * t); });
}
Tensor sigmoid_backward(const Tensor& grad, const Tensor& y) {
  return zip(grad, y, "sigmoid_backward", false, true, [](auto g, auto s) { return g * s * (decltype(s)(1) - s); });
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  check_defined(x, "clamp");
  check(!(lo > hi), "clamp: min {} is greater than max {}", lo, hi);
  return dispatch(x.dtype(), [&]<class T>() {
    // For int64, bounds beyond its range (such as ±inf from clamp_min/clamp_max) are clipped first.
    auto bound = [](double b) {
      if constexpr (std::is_integral_v<T>) {
        return static_cast<T>(std::clamp(b, -9.2e18, 9.2e18));
      } else {
        return static_cast<T>(b);
      }
    };
    const T l = bound(lo), h = bound(hi);
    return map<T, T>(x, x.dtype(), [=](T v) { return v < l ? l : (v > h ? h : v); });
  });
}
Tensor clamp_min(const Tensor& x, double lo) { return clamp(x, lo, INFINITY); }
Tensor clamp_max(const Tensor& x, double hi) { return clamp(x, -INFINITY, hi); }
Tensor pow(const Tensor& x, double e) {
  if (e == 2.0) return square(x);
  return map_float(x, "pow", [e](auto v) { return std::pow(v, static_cast<decltype(v)>(e)); });
}

// ---- binary
Tensor add(const Tensor& a, const Tensor& b) { return zip(a, b, "add", false, false, [](auto x, auto y) { return x + y; }); }
Tensor sub(const Tensor& a, const Tensor& b) { return zip(a, b, "sub", false, false, [](auto x, auto y) { return x - y; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return zip(a, b, "mul", false, false, [](auto x, auto y) { return x * y; }); }
Tensor div(const Tensor& a, const Tensor& b) { return zip(a, b, "div", false, true, [](auto x, auto y) { return x / y; }); }
Tensor pow(const Tensor& a, const Tensor& b) {
  return zip(a, b, "pow", false, true, [](auto x, auto y) { return std::pow(x, y); });
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return zip(a, b, "maximum", false, false, [](auto x, auto y) { return (x != x || x > y) ? x : y; });  // NaN wins
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return zip(a, b, "minimum", false, false, [](auto x, auto y) { return (x != x || x < y) ? x : y; });
}
Tensor eq(const Tensor& a, const Tensor& b) { return zip(a, b, "eq", true, false, [](auto x, auto y) { return x == y; }); }
Tensor ne(const Tensor& a, const Tensor& b) { return zip(a, b, "ne", true, false, [](auto x, auto y) { return x != y; }); }
Tensor lt(const Tensor& a, const Tensor& b) { return zip(a, b, "lt", true, false, [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, const Tensor& b) { return zip(a, b, "le", true, false, [](auto x, auto y) { return x <= y; }); }
Tensor gt(const Tensor& a, const Tensor& b) { return zip(a, b, "gt", true, false, [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, const Tensor& b) { return zip(a, b, "ge", true, false, [](auto x, auto y) { return x >= y; }); }
Tensor eq(const Tensor& a, double s) { return compare_scalar(a, s, "eq", [](auto x, auto y) { return x == y; }); }
Tensor ne(const Tensor& a, double s) { return compare_scalar(a, s, "ne", [](auto x, auto y) { return x != y; }); }
Tensor lt(const Tensor& a, double s) { return compare_scalar(a, s, "lt", [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, double s) { return compare_scalar(a, s, "le", [](auto x, auto y) { return x <= y; }); }
Tensor gt(const Tensor& a, double s) { return compare_scalar(a, s, "gt", [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, double s) { return compare_scalar(a, s, "ge", [](auto x, auto y) { return x >= y; }); }

// ---- with a scalar
Tensor add(const Tensor& x, double s) { return with_scalar(x, s, "add", false, [](auto a, auto v) { return a + v; }); }
Tensor sub(const Tensor& x, double s) { return with_scalar(x, s, "sub", false, [](auto a, auto v) { return a - v; }); }
Tensor rsub(const Tensor& x, double s) { return with_scalar(x, s, "rsub", false, [](auto a, auto v) { return v - a; }); }
Tensor mul(const Tensor& x, double s) { return with_scalar(x, s, "mul", false, [](auto a, auto v) { return a * v; }); }
Tensor div(const Tensor& x, double s) { return with_scalar(x, s, "div", true, [](auto a, auto v) { return a / v; }); }
Tensor rdiv(const Tensor& x, double s) { return with_scalar(x, s, "rdiv", true, [](auto a, auto v) { return v / a; }); }

// ---- selection
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where");
  check_defined(a, "where");
  check_defined(b, "where");
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  DType dt = promote(a.dtype(), b.dtype());
  Tensor ca = a.to(dt), cb = b.to(dt);
  Tensor out = empty(shape, dt);
  Strides sc = broadcast_strides(cond.shape(), cond.strides(), shape);
  Strides sa = broadcast_strides(ca.shape(), ca.strides(), shape);
  Strides sb = broadcast_strides(cb.shape(), cb.strides(), shape);
  dispatch(dt, [&]<class T>() {
    dispatch(cond.dtype(), [&]<class C>() {
      T* o = out.data<T>();
      const C* pc = cond.data<C>();
      const T* pa = ca.data<T>();
      const T* pb = cb.data<T>();
      parallel_for_each_block<4>(shape, {&out.strides(), &sc, &sa, &sb}, [&](const Block<4>& k) {
        for (int64_t i = 0; i < k.n; ++i) {
          o[k.offset[0] + i * k.stride[0]] = pc[k.offset[1] + i * k.stride[1]] != C(0) ? pa[k.offset[2] + i * k.stride[2]]
                                                                                       : pb[k.offset[3] + i * k.stride[3]];
        }
      });
    });
  });
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_defined(x, "masked_fill");
  check_defined(mask, "masked_fill");
  Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  check(shape == x.shape(), "masked_fill: mask of shape {} must broadcast to the input's shape {}", mask.shape(),
        x.shape());
  return where(mask, scalar_tensor(value, x.dtype()), x);
}

// ---- in place
Tensor& add_(Tensor& dst, const Tensor& src, double alpha) {
  check_defined(dst, "add_");
  check_defined(src, "add_");
  Shape shape = broadcast_shapes(dst.shape(), src.shape(), "add_");
  check(shape == dst.shape(), "add_: source of shape {} does not broadcast to destination shape {}", src.shape(),
        dst.shape());
  dst.bump_version();
  Tensor s = src.to(dst.dtype());
  Strides ss = broadcast_strides(s.shape(), s.strides(), shape);
  dispatch(dst.dtype(), [&]<class T>() {
    T* d = dst.data<T>();
    const T* p = s.data<T>();
    const T a = static_cast<T>(alpha);
    parallel_for_each_block<2>(shape, {&dst.strides(), &ss}, [&](const Block<2>& k) {
      T* y = d + k.offset[0];
      const T* x = p + k.offset[1];
      if (k.stride[0] == 1 && k.stride[1] == 1) {
        for (int64_t i = 0; i < k.n; ++i) y[i] += a * x[i];
      } else {
        for (int64_t i = 0; i < k.n; ++i) y[i * k.stride[0]] += a * x[i * k.stride[1]];
      }
    });
  });
  return dst;
}

Tensor& mul_(Tensor& dst, double s) {
  check_defined(dst, "mul_");
  dst.bump_version();
  dispatch(dst.dtype(), [&]<class T>() {
    T* d = dst.data<T>();
    const T v = static_cast<T>(s);
    parallel_for_each_block<1>(dst.shape(), {&dst.strides()}, [&](const Block<1>& k) {
      for (int64_t i = 0; i < k.n; ++i) d[k.offset[0] + i * k.stride[0]] *= v;
    });
  });
  return dst;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  check_defined(a, "allclose");
  check_defined(b, "allclose");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), "allclose");
  std::vector<double> x = a.expand(shape).tolist(), y = b.expand(shape).tolist();
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) return false;
    if (x[i] == y[i]) continue;  // equal infinities
    if (std::isinf(x[i]) || std::isinf(y[i])) return false;
    if (std::abs(x[i] - y[i]) > atol + rtol * std::abs(y[i])) return false;
  }
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  check_defined(a, "equal");
  check_defined(b, "equal");
  return a.shape() == b.shape() && a.tolist() == b.tolist(); }

}  // namespace glimpse
