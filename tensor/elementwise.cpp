// Elementwise kernels: unary functions, broadcasting binaries, comparisons and tensor-with-scalar ops. (where and
// masked_fill are in where.cpp, the in-place add_ and mul_ in inplace.cpp.) Three loops do all the work here:
//   map      y[i] = f(x[i])            (unary ops and tensor-with-scalar ops)
//   zip      y[i] = f(a[i], b[i])      (broadcasting binaries and comparisons)
//   the float32 vector path            (exp, log, tanh, sigmoid, GELU on contiguous float32: vecmath.h)
// Tensors of more than 2 x kParallelGrain elements are split across threads (parallel.h); smaller ones run on the
// calling thread.
//
// The path of one call, `exp(x.data())` (what autograd's exp(Variable) in autograd/ops_elementwise.cpp runs before it
// records the backward), from the op to the loop that computes:
//   1. exp (below) names the op and hands map_float_vec two ways to compute it: the vectorised vec::exp for a whole
//      float32 array, and a generic lambda `[](auto v) { return std::exp(v); }` for one element of any float type.
//   2. map_float_vec (this file): a contiguous float32 x takes the vector path: parallel_for (tensor/parallel.h)
//      cuts [0, numel) into one range per thread and each runs vec::exp on its range (tensor/vecmath.cpp, xsimd:
//      8 or 16 floats per instruction). Anything else (float64, or a strided view) goes on to map_float.
//   3. map_float (this file) checks x is defined and calls dispatch_float (tensor/dtype.h): a switch on x.dtype()
//      that calls the template lambda it is given with T = float or T = double (int64 throws an Error naming "exp").
//   4. map<T, T> (this file) allocates y and runs the lambda of step 1 on every element: a contiguous x is one plain
//      loop `out[i] = f(in[i])` split by parallel_for; a strided x goes through parallel_for_each_block (tensor/
//      iter.h), which splits the outermost dim across threads and calls for_each_block on each part; for_each_block
//      merges the dims that are back to back in memory and calls the loop body once per innermost row with a Block
//      (the row's offset in each operand, its length and its strides), and the body steps through the row.
// Binary ops take the same road through zip (broadcast strides from iter.h, then zip_into's loops).
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
  parallel_for(x.numel(), kParallelGrain,
               [&](int64_t begin, int64_t end) { vec_f32(in + begin, out + begin, end - begin); });
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

// How a binary op (zip) or a tensor-with-scalar op (with_scalar) computes, named at the call site:
//   zip(a, b, {.op = "div", .int64_as_float = true}, f)      zip(a, b, {.op = "eq", .to_mask = true}, f)
struct BinaryOptions {
  const char* op = "";          // the op's name, for errors
  bool to_mask = false;         // a comparison: the result is an int64 mask of 0 and 1, whatever the operands' dtype
  bool int64_as_float = false;  // int64 operands are computed in float32 (int64 / int64 is a true division, as in
                                // PyTorch); otherwise the op runs in the promoted dtype
};

// Broadcasting binary op in the promoted dtype (see BinaryOptions).
template <class F>
Tensor zip(const Tensor& a, const Tensor& b, const BinaryOptions& o, F f) {
  const char* op = o.op;
  check_defined(a, op);
  check_defined(b, op);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  DType dt = promote(a.dtype(), b.dtype());
  if (o.int64_as_float && dt == kInt64) dt = kFloat32;
  // Operands already in dt are read as they are (no handle copies: this runs for every op of a training step).
  Tensor converted_a, converted_b;
  const Tensor& ca = a.dtype() == dt ? a : (converted_a = a.to(dt));
  const Tensor& cb = b.dtype() == dt ? b : (converted_b = b.to(dt));
  Tensor out = empty(shape, o.to_mask ? kInt64 : dt);
  dispatch(dt, [&]<class T>() {
    if (o.to_mask) {
      zip_into<int64_t, T>(out, ca, cb, [&](T x, T y) { return static_cast<int64_t>(f(x, y)); });
    } else {
      zip_into<T, T>(out, ca, cb, [&](T x, T y) { return static_cast<T>(f(x, y)); });
    }
  });
  return out;
}

// x op scalar: the scalar takes x's dtype, except that an int64 x with a non-integral scalar (or with
// int64_as_float, a true division) is computed in float32. (to_mask is for zip; compare_scalar makes masks.)
template <class F>
Tensor with_scalar(const Tensor& x, double s, const BinaryOptions& o, F f) {
  check_defined(x, o.op);
  const bool needs_float = x.dtype() == kInt64 && (o.int64_as_float || s != std::floor(s));
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
    return zip(a, b, {.op = op, .int64_as_float = true}, f);
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
Tensor relu(const Tensor& x) {
  return map_any(x, "relu", [](auto v) { return v <= 0 ? decltype(v)(0) : v; });  // NaN stays NaN
}
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
  return zip(grad, y, {.op = "tanh_backward", .int64_as_float = true},
             [](auto g, auto t) { return g * (decltype(t)(1) - t * t); });
}
Tensor sigmoid_backward(const Tensor& grad, const Tensor& y) {
  return zip(grad, y, {.op = "sigmoid_backward", .int64_as_float = true},
             [](auto g, auto s) { return g * s * (decltype(s)(1) - s); });
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
Tensor add(const Tensor& a, const Tensor& b) { return zip(a, b, {.op = "add"}, [](auto x, auto y) { return x + y; }); }
Tensor sub(const Tensor& a, const Tensor& b) { return zip(a, b, {.op = "sub"}, [](auto x, auto y) { return x - y; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return zip(a, b, {.op = "mul"}, [](auto x, auto y) { return x * y; }); }
Tensor div(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "div", .int64_as_float = true}, [](auto x, auto y) { return x / y; });
}
Tensor pow(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "pow", .int64_as_float = true}, [](auto x, auto y) { return std::pow(x, y); });
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "maximum"}, [](auto x, auto y) { return (x != x || x > y) ? x : y; });  // NaN wins
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "minimum"}, [](auto x, auto y) { return (x != x || x < y) ? x : y; });
}

// ---- comparisons: int64 masks
Tensor eq(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "eq", .to_mask = true}, [](auto x, auto y) { return x == y; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "ne", .to_mask = true}, [](auto x, auto y) { return x != y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "lt", .to_mask = true}, [](auto x, auto y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "le", .to_mask = true}, [](auto x, auto y) { return x <= y; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "gt", .to_mask = true}, [](auto x, auto y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return zip(a, b, {.op = "ge", .to_mask = true}, [](auto x, auto y) { return x >= y; });
}
Tensor eq(const Tensor& a, double s) { return compare_scalar(a, s, "eq", [](auto x, auto y) { return x == y; }); }
Tensor ne(const Tensor& a, double s) { return compare_scalar(a, s, "ne", [](auto x, auto y) { return x != y; }); }
Tensor lt(const Tensor& a, double s) { return compare_scalar(a, s, "lt", [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, double s) { return compare_scalar(a, s, "le", [](auto x, auto y) { return x <= y; }); }
Tensor gt(const Tensor& a, double s) { return compare_scalar(a, s, "gt", [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, double s) { return compare_scalar(a, s, "ge", [](auto x, auto y) { return x >= y; }); }

// ---- with a scalar
Tensor add(const Tensor& x, double s) { return with_scalar(x, s, {.op = "add"}, [](auto a, auto v) { return a + v; }); }
Tensor sub(const Tensor& x, double s) { return with_scalar(x, s, {.op = "sub"}, [](auto a, auto v) { return a - v; }); }
Tensor rsub(const Tensor& x, double s) {
  return with_scalar(x, s, {.op = "rsub"}, [](auto a, auto v) { return v - a; });
}
Tensor mul(const Tensor& x, double s) { return with_scalar(x, s, {.op = "mul"}, [](auto a, auto v) { return a * v; }); }
Tensor div(const Tensor& x, double s) {
  return with_scalar(x, s, {.op = "div", .int64_as_float = true}, [](auto a, auto v) { return a / v; });
}
Tensor rdiv(const Tensor& x, double s) {
  return with_scalar(x, s, {.op = "rdiv", .int64_as_float = true}, [](auto a, auto v) { return v / a; });
}

// ---- whole tensors compared (for tests)
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
