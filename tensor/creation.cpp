// Creating tensors: empty/zeros/ones/full and their _like forms, arange, linspace, eye, and tensor() from values.
// Every creator takes every dtype, float16 and bfloat16 included: values are computed in double and rounded once.
#include "tensor/tensor.h"

#include <cmath>

#include "tensor/small_objects.h"

namespace glimpse {

Tensor empty_for(const char* op, const Shape& shape, DType dtype) {
  int64_t n = checked_numel(shape, op);
  check(n <= (int64_t{1} << 50), "{}: shape {} is too large to allocate", op, shape);
  // The Storage object itself (and its shared_ptr count) comes from the small-object lists (small_objects.h).
  auto storage =
      std::allocate_shared<Storage>(SmallObjectAllocator<Storage>(), static_cast<size_t>(n * dtype_size(dtype)));
  return Tensor(std::move(storage), shape, dtype);
}
Tensor empty(const Shape& shape, DType dtype) { return empty_for("empty", shape, dtype); }
namespace {
Tensor full_for(const char* op, const Shape& shape, double value, DType dtype) {
  Tensor t = empty_for(op, shape, dtype);
  t.fill_(value);
  return t;
}
}  // namespace
// (fill_ returns a reference: `return empty_for(...).fill_(v)` would copy the handle, a count up and down per call.)
Tensor zeros(const Shape& shape, DType dtype) { return full_for("zeros", shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full_for("ones", shape, 1.0, dtype); }
Tensor full(const Shape& shape, double value, DType dtype) { return full_for("full", shape, value, dtype); }
Tensor empty_like(const Tensor& t) {
  check_defined(t, "empty_like");
  return empty(t.shape(), t.dtype());
}
Tensor zeros_like(const Tensor& t) {
  check_defined(t, "zeros_like");
  return zeros(t.shape(), t.dtype());
}
Tensor ones_like(const Tensor& t) {
  check_defined(t, "ones_like");
  return ones(t.shape(), t.dtype());
}
Tensor full_like(const Tensor& t, double value) {
  check_defined(t, "full_like");
  return full(t.shape(), value, t.dtype());
}
Tensor scalar_tensor(double value, DType dtype) { return full(Shape{}, value, dtype); }

Tensor arange(double end, DType dtype) { return arange(0.0, end, 1.0, dtype); }
Tensor arange(double start, double end, double step, DType dtype) {
  check(step != 0.0 && std::isfinite(step), "arange: step must be finite and non-zero (got {})", step);
  check(std::isfinite(start) && std::isfinite(end), "arange: start and end must be finite (got {} and {})", start, end);
  // Counted in double and checked before the conversion: casting 1e300 to int64 is undefined behaviour.
  const double count = std::max(0.0, std::ceil((end - start) / step));
  check(count <= double(int64_t{1} << 50), "arange: [{}, {}) in steps of {} would have {} elements, too many to "
        "allocate", start, end, step, count);
  const auto n = static_cast<int64_t>(count);
  Tensor out = empty_for("arange", {n}, dtype);
  dispatch_all(dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = convert<T>(start + static_cast<double>(i) * step);
  });
  return out;
}
Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  check(steps >= 0, "linspace: steps must be non-negative (got {})", steps);
  Tensor out = empty_for("linspace", {steps}, dtype);
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  dispatch_all(dtype, [&]<class T>() {
    T* p = out.data<T>();
    // The second half counts back from `end`, so that the last value is exactly `end` (as PyTorch does).
    for (int64_t i = 0; i < steps; ++i) {
      p[i] = convert<T>(2 * i < steps ? start + static_cast<double>(i) * step
                                        : end - static_cast<double>(steps - 1 - i) * step);
    }
  });
  return out;
}
Tensor eye(int64_t n, DType dtype) {
  check(n >= 0, "eye: negative size n = {}; n must be >= 0", n);
  Tensor out = empty_for("eye", {n, n}, dtype).fill_(0.0);
  dispatch_all(dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i * n + i] = convert<T>(1.0);
  });
  return out;
}

namespace {
template <class V>
Tensor from_values(const V& values, const Shape& shape_in, DType dtype) {
  Shape shape = shape_in;
  if (shape.size() == 1 && shape[0] == -1) shape[0] = static_cast<int64_t>(values.size());
  check(shape.numel() == static_cast<int64_t>(values.size()), "tensor: {} values do not fill shape {} ({} elements)",
        values.size(), shape, shape.numel());
  Tensor out = empty(shape, dtype);
  dispatch_all(dtype, [&]<class T>() {
    T* p = out.data<T>();
    int64_t i = 0;
    for (auto v : values) p[i++] = convert<T>(v);
  });
  return out;
}
}  // namespace

Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype) { return from_values(values, shape, dtype); }
Tensor tensor(const std::vector<float>& values, const Shape& shape) { return from_values(values, shape, kFloat32); }
Tensor tensor(const std::vector<int64_t>& values, const Shape& shape) { return from_values(values, shape, kInt64); }
Tensor tensor(std::initializer_list<double> values, const Shape& shape, DType dtype) {
  return from_values(values, shape, dtype);
}

}  // namespace glimpse
