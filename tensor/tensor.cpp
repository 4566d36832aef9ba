// Tensor: the handle itself (shape queries, broadcast shapes, strides), copies and conversions between dtypes.
// Creation functions are in creation.cpp, views in view.cpp.
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

namespace {
// Row-major strides of `shape` into `s` (resized to it).
void set_contiguous_strides(const Shape& shape, Strides& s) {
  s.clear();
  for (int i = 0; i < shape.size(); ++i) s.push_back(1);
  for (int i = shape.size() - 2; i >= 0; --i) {
    check(!__builtin_mul_overflow(s[i + 1], std::max<int64_t>(shape[i + 1], 1), &s[i]),
          "shape {} is too large: its strides overflow int64", shape);
  }
}
}  // namespace

Strides contiguous_strides(const Shape& shape) {
  Strides s;
  set_contiguous_strides(shape, s);
  return s;
}

// The product of the sizes, or an Error naming the op when it overflows int64 (a shape that large cannot exist). The
// product with size-0 dims counted as 1 (the largest packed stride times its size) must fit too: {0, 2^62, 2^62} has
// no element, but its strides would overflow.
int64_t checked_numel(const Shape& shape, const char* op) {
  int64_t n = 1, span = 1;
  for (int64_t s : shape) {
    check(s >= 0, "{}: negative size {} in shape {}", op, s, shape);
    check(!__builtin_mul_overflow(n, s, &n) && !__builtin_mul_overflow(span, std::max<int64_t>(s, 1), &span),
          "{}: shape {} has more elements than int64 can count", op, shape);
  }
  return n;
}

// The shape and strides are copied size by size, not as whole Shape objects: a caller has usually just written them
// one size at a time, and a whole-object copy (wide vector moves) would read those fresh writes back in one piece,
// which the CPU cannot forward from its store buffer: a stall of a dozen cycles on nearly every tensor an op makes
// (issue 14, seen in perf annotate). For the same reason a packed tensor's strides are computed in place. (Doing the
// same in Tensor's copy and move constructors measured no faster: the branches cost what the stalls did.)
Tensor::Tensor(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides, int64_t offset,
               DType dtype)
    : storage_(std::move(storage)), offset_(offset), dtype_(dtype) {
  shape_.copy_from(shape);
  strides_.copy_from(strides);
}

Tensor::Tensor(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype)
    : storage_(std::move(storage)), dtype_(dtype) {
  shape_.copy_from(shape);
  set_contiguous_strides(shape_, strides_);
}

// The failing case of size(d) and stride(d): the same checks as wrap_dim, with the messages they have always had.
void Tensor::dim_error(const char* op, int64_t dim) const {
  check(this->dim() > 0, "{}: a 0-d tensor has no dimensions (asked for dim {})", op, dim);
  wrap_dim(dim, this->dim(), op);  // throws: dim is out of range
  throw Error(fmt::format("{}: dim {} is out of range for a {}-d tensor", op, dim, this->dim()));  // not reached
}

// The failing case of data<T>(): T is not the tensor's dtype.
void Tensor::dtype_error(DType asked) const {
  throw Error(fmt::format("Tensor::data: tensor has dtype {}, not {}", dtype_name(dtype_), dtype_name(asked)));
}

// ---- copies and conversions

const Tensor& Tensor::copy_(const Tensor& src) const {
  check_defined(*this, "copy_");
  check_defined(src, "copy_");
  Shape b = broadcast_shapes(src.shape(), shape_, "copy_");
  check(b == shape_, "copy_: source of shape {} does not broadcast to destination shape {}", src.shape(), shape_);
  bump_version();
  Strides ss = broadcast_strides(src.shape(), src.strides(), shape_);
  // Every pair of the five dtypes, the 16-bit floats included: copying is how a tensor changes dtype, and convert()
  // (half.h) rounds to 16 bits correctly.
  dispatch_all(dtype_, [&]<class D>() {
    dispatch_all(src.dtype(), [&]<class S>() {
      D* dst = data<D>();
      const S* s = src.data<S>();
      for_each_block<2>(shape_, {&strides_, &ss}, [&](const Block<2>& blk) {
        D* d = dst + blk.offset[0];
        const S* q = s + blk.offset[1];
        if (blk.stride[0] == 1 && blk.stride[1] == 1) {
          for (int64_t i = 0; i < blk.n; ++i) d[i] = convert<D>(q[i]);
        } else {
          for (int64_t i = 0; i < blk.n; ++i) d[i * blk.stride[0]] = convert<D>(q[i * blk.stride[1]]);
        }
      });
    });
  });
  return *this;
}

const Tensor& Tensor::fill_(double value) const {
  check_defined(*this, "fill_");
  bump_version();
  dispatch_all(dtype_, [&]<class T>() {
    const T v = convert<T>(value);
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

}  // namespace glimpse
