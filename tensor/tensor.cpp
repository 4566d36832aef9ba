// Tensor: construction, views, copies and conversions. Views only compute a new shape/strides/offset.
#include "tensor/tensor.h"

#include <cmath>
#include <numeric>

#include "tensor/iter.h"

namespace glimpse {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a == b) return a;
  int n = std::max(a.size(), b.size());
  Shape out = Shape::filled(n, 1);
  for (int i = 0; i < n; ++i) {
    int ia = a.size() - n + i, ib = b.size() - n + i;
    int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    check(sa == sb || sa == 1 || sb == 1,
          "{}: shapes {} and {} do not broadcast (dim {} from the end: {} vs {}); sizes must match or be 1", op, a, b,
          n - i, sa, sb);
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

Strides contiguous_strides(const Shape& shape) {
  Strides s = Shape::filled(shape.size(), 1);
  for (int i = shape.size() - 2; i >= 0; --i) {
    check(!__builtin_mul_overflow(s[i + 1], std::max<int64_t>(shape[i + 1], 1), &s[i]),
          "shape {} is too large: its strides overflow int64", shape);
  }
  return s;
}

// The product of the sizes, or an Error naming the op when it overflows int64 (a shape that large cannot exist). The
// product with size-0 dims counted as 1 (the largest packed stride times its size) must fit too: {0, 2^62, 2^62} has
// no element, but its strides would overflow.
static int64_t checked_numel(const Shape& shape, const char* op) {
  int64_t n = 1, span = 1;
  for (int64_t s : shape) {
    check(s >= 0, "{}: negative size {} in shape {}", op, s, shape);
    check(!__builtin_mul_overflow(n, s, &n) && !__builtin_mul_overflow(span, std::max<int64_t>(s, 1), &span),
          "{}: shape {} has more elements than int64 can count", op, shape);
  }
  return n;
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(shape), strides_(strides), offset_(offset), dtype_(dtype) {}

int64_t Tensor::size(int64_t dim) const {
  check(this->dim() > 0, "size: a 0-d tensor has no dimensions (asked for dim {})", dim);
  return shape_[wrap_dim(dim, this->dim(), "size")];
}
int64_t Tensor::stride(int64_t dim) const {
  check(this->dim() > 0, "stride: a 0-d tensor has no dimensions (asked for dim {})", dim);
  return strides_[wrap_dim(dim, this->dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = dim() - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

// ---- creation

Tensor empty_for(const char* op, const Shape& shape, DType dtype) {
  int64_t n = checked_numel(shape, op);
  check(n <= (int64_t{1} << 50), "{}: shape {} is too large to allocate", op, shape);
  auto storage = std::make_shared<Storage>(static_cast<size_t>(n * dtype_size(dtype)));
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}
Tensor empty(const Shape& shape, DType dtype) { return empty_for("empty", shape, dtype); }
Tensor zeros(const Shape& shape, DType dtype) { return empty_for("zeros", shape, dtype).fill_(0.0); }
Tensor ones(const Shape& shape, DType dtype) { return empty_for("ones", shape, dtype).fill_(1.0); }
Tensor full(const Shape& shape, double value, DType dtype) { return empty_for("full", shape, dtype).fill_(value); }
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
  dispatch(dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return out;
}
Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  check(steps >= 0, "linspace: steps must be non-negative (got {})", steps);
  Tensor out = empty_for("linspace", {steps}, dtype);
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  dispatch(dtype, [&]<class T>() {
    T* p = out.data<T>();
    // The second half counts back from `end`, so that the last value is exactly `end` (as PyTorch does).
    for (int64_t i = 0; i < steps; ++i) {
      p[i] = static_cast<T>(2 * i < steps ? start + static_cast<double>(i) * step
                                          : end - static_cast<double>(steps - 1 - i) * step);
    }
  });
  return out;
}
Tensor eye(int64_t n, DType dtype) {
  check(n >= 0, "eye: negative size n = {}; n must be >= 0", n);
  Tensor out = empty_for("eye", {n, n}, dtype).fill_(0.0);
  dispatch(dtype, [&]<class T>() {
    T* p = out.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i * n + i] = T(1);
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
  dispatch(dtype, [&]<class T>() {
    T* p = out.data<T>();
    int64_t i = 0;
    for (auto v : values) p[i++] = static_cast<T>(v);
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

// ---- copies and conversions

const Tensor& Tensor::copy_(const Tensor& src) const {
  check_defined(*this, "copy_");
  check_defined(src, "copy_");
  Shape b = broadcast_shapes(src.shape(), shape_, "copy_");
  check(b == shape_, "copy_: source of shape {} does not broadcast to destination shape {}", src.shape(), shape_);
  bump_version();
  Strides ss = broadcast_strides(src.shape(), src.strides(), shape_);
  dispatch(dtype_, [&]<class D>() {
    dispatch(src.dtype(), [&]<class S>() {
      D* dst = data<D>();
      const S* s = src.data<S>();
      for_each_block<2>(shape_, {&strides_, &ss}, [&](const Block<2>& blk) {
        D* d = dst + blk.offset[0];
        const S* q = s + blk.offset[1];
        if (blk.stride[0] == 1 && blk.stride[1] == 1) {
          for (int64_t i = 0; i < blk.n; ++i) d[i] = static_cast<D>(q[i]);
        } else {
          for (int64_t i = 0; i < blk.n; ++i) d[i * blk.stride[0]] = static_cast<D>(q[i * blk.stride[1]]);
        }
      });
    });
  });
  return *this;
}

const Tensor& Tensor::fill_(double value) const {
  check_defined(*this, "fill_");
  bump_version();
  dispatch(dtype_, [&]<class T>() {
    T v = static_cast<T>(value);
    T* base = data<T>();
    for_each_block<1>(shape_, {&strides_}, [&](const Block<1>& blk) {
      T* d = base + blk.offset[0];
      if (blk.stride[0] == 1) {
        std::fill(d, d + blk.n, v);
      } else {
        for (int64_t i = 0; i < blk.n; ++i) d[i * blk.stride[0]] = v;
      }
    });
  });
  return *this;
}

Tensor Tensor::contiguous() const {
  check_defined(*this, "contiguous");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  check_defined(*this, "clone");
  Tensor out = empty(shape_, dtype_);
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  check_defined(*this, "to");
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype);
  out.copy_(*this);
  return out;
}

std::vector<double> Tensor::tolist() const {
  Tensor c = to(kFloat64).contiguous();
  const double* p = c.data<double>();
  return std::vector<double>(p, p + c.numel());
}

// ---- views

namespace {
// Resolves one -1 in a requested shape against numel, and checks the element count.
Shape infer_shape(const Shape& requested, int64_t numel, const char* op, const Shape& from) {
  Shape shape = requested;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(infer < 0, "{}: only one dimension can be -1 in {}", op, requested);
      infer = i;
    } else {
      check(shape[i] >= 0, "{}: invalid size {} in {}", op, shape[i], requested);
      check(!__builtin_mul_overflow(known, shape[i], &known), "{}: shape {} has more elements than int64 can count",
            op, requested);
    }
  }
  if (infer >= 0) {
    check(known != 0 && numel % known == 0, "{}: cannot infer -1 in {} for {} elements (shape {})", op, requested,
          numel, from);
    shape[infer] = numel / known;
  }
  check(shape.numel() == numel, "{}: shape {} has {} elements but the tensor of shape {} has {}; element counts must match",
        op, shape, shape.numel(), from, numel);
  return shape;
}

// Strides that let a tensor with (shape, strides) be viewed as new_shape without copying, if any exist. Each run of
// old dims that is contiguous in memory can be split or merged freely; dims may not be regrouped across runs.
bool view_strides(const Shape& shape, const Strides& strides, const Shape& new_shape, Strides& out) {
  out = Shape::filled(new_shape.size(), 0);
  if (shape.numel() == 0 || shape.empty()) {  // nothing to keep in place (empty or 0-d): any packed layout will do
    out = contiguous_strides(new_shape);
    return true;
  }
  int view_d = new_shape.size() - 1;
  int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = shape.size() - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    // End of a contiguous chunk: d is the first dim, or dim d-1 does not continue it.
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}
}  // namespace

Tensor Tensor::view(const Shape& requested) const {
  check_defined(*this, "view");
  Shape shape = infer_shape(requested, numel(), "view", shape_);
  checked_numel(shape, "view");
  Strides st;
  check(view_strides(shape_, strides_, shape, st),
        "view: a tensor of shape {} with strides {} cannot be viewed as {} without a copy; use reshape (copies) or "
        "call contiguous() first",
        shape_, strides_, shape);
  return Tensor(storage_, shape, st, offset_, dtype_);
}

Tensor Tensor::reshape(const Shape& requested) const {
  check_defined(*this, "reshape");
  Shape shape = infer_shape(requested, numel(), "reshape", shape_);
  checked_numel(shape, "reshape");
  Strides st;
  if (view_strides(shape_, strides_, shape, st)) return Tensor(storage_, shape, st, offset_, dtype_);
  return clone().view(shape);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  check_defined(*this, "flatten");
  if (dim() == 0) return reshape({1});
  int s = wrap_dim(start_dim, dim(), "flatten"), e = wrap_dim(end_dim, dim(), "flatten");
  check(s <= e, "flatten: start_dim {} comes after end_dim {} for shape {}", start_dim, end_dim, shape_);
  Shape shape;
  for (int i = 0; i < s; ++i) shape.push_back(shape_[i]);
  int64_t p = 1;
  for (int i = s; i <= e; ++i) p *= shape_[i];
  shape.push_back(p);
  for (int i = e + 1; i < dim(); ++i) shape.push_back(shape_[i]);
  return reshape(shape);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  check_defined(*this, "transpose");
  int a = wrap_dim(dim0, dim(), "transpose"), b = wrap_dim(dim1, dim(), "transpose");
  if (dim() == 0) return *this;
  Shape shape = shape_;
  Strides st = strides_;
  std::swap(shape[a], shape[b]);
  std::swap(st[a], st[b]);
  return Tensor(storage_, shape, st, offset_, dtype_);
}

Tensor Tensor::permute(const Shape& dims) const {
  check_defined(*this, "permute");
  check(dims.size() == dim(), "permute: {} dims given for a tensor of shape {}; give each dim once", dims.size(), shape_);
  Shape shape, st;
  bool seen[kMaxDims] = {false};
  for (int64_t d : dims) {
    int w = wrap_dim(d, dim(), "permute");
    check(!seen[w], "permute: dim {} appears twice in {}", w, dims);
    seen[w] = true;
    shape.push_back(shape_[w]);
    st.push_back(strides_[w]);
  }
  return Tensor(storage_, shape, st, offset_, dtype_);
}

Tensor Tensor::t() const {
  check_defined(*this, "t");
  check(dim() <= 2, "t: expects a tensor with at most 2 dims, got shape {}; use transpose(dim0, dim1)", shape_);
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  check_defined(*this, "unsqueeze");
  int w = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape shape = shape_;
  Strides st = strides_;
  int64_t stride = w < dim() ? shape_[w] * strides_[w] : 1;
  shape.insert(w, 1);
  st.insert(w, stride);
  return Tensor(storage_, shape, st, offset_, dtype_);
}

Tensor Tensor::squeeze() const {
  check_defined(*this, "squeeze");
  Shape shape, st;
  for (int i = 0; i < dim(); ++i) {
    if (shape_[i] != 1) {
      shape.push_back(shape_[i]);
      st.push_back(strides_[i]);
    }
  }
  return Tensor(storage_, shape, st, offset_, dtype_);
}

Tensor Tensor::squeeze(int64_t d) const {
  check_defined(*this, "squeeze");
  int w = wrap_dim(d, dim(), "squeeze");
  if (dim() == 0 || shape_[w] != 1) return *this;  // PyTorch leaves a dim of size > 1 alone
  Shape shape = shape_;
  Strides st = strides_;
  shape.erase(w);
  st.erase(w);
  return Tensor(storage_, shape, st, offset_, dtype_);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  check_defined(*this, "narrow");
  check(dim() > 0, "narrow: cannot narrow a 0-d tensor");
  int w = wrap_dim(d, dim(), "narrow");
  int64_t n = shape_[w];
  if (start < 0) start += n;
  check(start >= 0 && length >= 0 && start <= n && length <= n - start,
        "narrow: start {} and length {} are out of range for dim {} of size {} (shape {})", start, length, w, n,
        shape_);  // (not start + length: the arguments are formatted even when the check passes, and it may overflow)
  Shape shape = shape_;
  shape[w] = length;
  return Tensor(storage_, shape, strides_, offset_ + start * strides_[w], dtype_);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  check_defined(*this, "slice");
  check(dim() > 0, "slice: cannot slice a 0-d tensor");
  check(step > 0, "slice: step must be positive (got {})", step);
  int w = wrap_dim(d, dim(), "slice");
  int64_t n = shape_[w];
  // Python semantics: negative bounds count from the end, out-of-range bounds are clamped.
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = shape_;
  Strides st = strides_;
  shape[w] = end > start ? (end - start - 1) / step + 1 : 0;
  // With one element or none the step is never taken (and stride * a huge step would overflow); otherwise
  // step < n, so stride * step stays inside the storage's span.
  st[w] = shape[w] > 1 ? strides_[w] * step : strides_[w];
  return Tensor(storage_, shape, st, offset_ + start * strides_[w], dtype_);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  check_defined(*this, "select");
  check(dim() > 0, "select: cannot select from a 0-d tensor");
  int w = wrap_dim(d, dim(), "select");
  int64_t n = shape_[w];
  check(index >= -n && index < n, "select: index {} is out of range for dim {} of size {} (shape {})", index, w, n,
        shape_);
  if (index < 0) index += n;
  Shape shape = shape_;
  Strides st = strides_;
  shape.erase(w);
  st.erase(w);
  return Tensor(storage_, shape, st, offset_ + index * strides_[w], dtype_);
}

Tensor Tensor::expand(const Shape& requested) const {
  check_defined(*this, "expand");
  check(requested.size() >= dim(), "expand: cannot expand shape {} to fewer dims {}", shape_, requested);
  int lead = requested.size() - dim();
  Shape shape = requested;
  Strides st = Shape::filled(requested.size(), 0);
  for (int i = 0; i < requested.size(); ++i) {
    if (i < lead) {
      check(requested[i] >= 0, "expand: size -1 is not allowed for a new leading dim in {}", requested);
      continue;
    }
    int64_t have = shape_[i - lead];
    int64_t want = requested[i] == -1 ? have : requested[i];
    check(want >= 0, "expand: invalid size {} in {} (sizes must be >= 0, or -1 to keep one)", requested[i], requested);
    check(have == want || have == 1,
          "expand: shape {} cannot expand to {} (dim {}: size {} is neither {} nor 1)", shape_, requested, i, have, want);
    shape[i] = want;
    st[i] = have == want ? strides_[i - lead] : 0;
  }
  checked_numel(shape, "expand");
  return Tensor(storage_, shape, st, offset_, dtype_);
}

}  // namespace glimpse
