// Shape: a short list of sizes (or strides) stored inline, so that making a tensor never allocates for its shape.
//
// A tensor has at most kMaxDims = 8 dimensions. Shapes print as "[2, 3, 4]" through fmt.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "tensor/error.h"

namespace glimpse {

inline constexpr int kMaxDims = 8;

class Shape {
 public:
  Shape() = default;
  // A single size: zeros(5) is zeros({5}), and sum(x, 1) is sum(x, {1}).
  Shape(int64_t size) : n_(1) { d_[0] = size; }  // NOLINT(google-explicit-constructor)
  Shape(int size) : Shape(static_cast<int64_t>(size)) {}  // NOLINT(google-explicit-constructor)
  Shape(std::initializer_list<int64_t> sizes) { assign(sizes.begin(), sizes.end()); }
  explicit Shape(const std::vector<int64_t>& sizes) { assign(sizes.begin(), sizes.end()); }
  template <class It>
  Shape(It first, It last) { assign(first, last); }
  // n copies of `value`.
  static Shape filled(int n, int64_t value) {
    Shape s;
    s.resize(n, value);
    return s;
  }

  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t& operator[](int i) { return d_[i]; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t back() const { return d_[n_ - 1]; }
  int64_t* begin() { return d_.data(); }
  int64_t* end() { return d_.data() + n_; }
  const int64_t* begin() const { return d_.data(); }
  const int64_t* end() const { return d_.data() + n_; }
  const int64_t* data() const { return d_.data(); }

  void push_back(int64_t v) {
    check(n_ < kMaxDims, "Shape: more than {} dimensions are not supported", kMaxDims);
    d_[n_++] = v;
  }
  void insert(int pos, int64_t v) {
    push_back(0);
    for (int i = n_ - 1; i > pos; --i) d_[i] = d_[i - 1];
    d_[pos] = v;
  }
  void erase(int pos) {
    for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
    --n_;
  }
  void clear() { n_ = 0; }
  // Takes o's sizes one at a time (Tensor's constructors use this: tensor.cpp says why not a whole-object copy). With
  // a fixed bound and an early exit so that it unrolls into a few moves: GCC turns the plain `i < n_` loop into a
  // call to memmove, which cost more than the whole copy.
  void copy_from(const Shape& o) {
    n_ = o.n_;
#pragma GCC unroll 8
    for (int i = 0; i < kMaxDims; ++i) {
      if (i == n_) break;
      d_[i] = o.d_[i];
    }
  }
  void resize(int n, int64_t value = 0) {
    check(n >= 0 && n <= kMaxDims, "Shape: more than {} dimensions are not supported", kMaxDims);
    for (int i = n_; i < n; ++i) d_[i] = value;
    n_ = n;
  }
  // The product of the sizes (1 for an empty shape: a 0-d tensor holds one element).
  int64_t numel() const {
    int64_t p = 1;
    for (int i = 0; i < n_; ++i) p *= d_[i];
    return p;
  }
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  // A plain loop: std::equal on integers becomes a call to memcmp, which costs more than comparing two or three sizes.
  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.n_ != b.n_) return false;
    for (int i = 0; i < a.n_; ++i) {
      if (a.d_[i] != b.d_[i]) return false;
    }
    return true;
  }

 private:
  template <class It>
  void assign(It first, It last) {
    n_ = 0;
    for (; first != last; ++first) push_back(static_cast<int64_t>(*first));
  }
  std::array<int64_t, kMaxDims> d_{};
  int n_ = 0;
};

using Strides = Shape;

// Row-major (C-order) strides of a shape, in elements. A size-0 dim counts as 1 (as in PyTorch), so {0, 2^62, 2^62}
// holds no element but has strides past int64: the ops that make shapes check that first and name themselves
// (checked_numel below); this check is the backstop.
Strides contiguous_strides(const Shape& shape);  // in tensor.cpp

// The product of the sizes, or an Error naming `op` when a size is negative or the product (or the span of the packed
// strides) overflows int64. Used by every op that makes a new shape: creation, view, reshape, expand. In tensor.cpp.
int64_t checked_numel(const Shape& shape, const char* op);

// Turns a possibly negative dim into 0..ndim-1, or throws naming the op: "sum: dim 3 is out of range for a 2-d tensor".
inline int wrap_dim(int64_t dim, int ndim, const char* op) {
  int64_t n = std::max(ndim, 1);  // a 0-d tensor accepts dim 0 and -1, as in PyTorch
  check(dim >= -n && dim < n, "{}: dim {} is out of range for a {}-d tensor (valid: {} to {})", op, dim, ndim, -n, n - 1);
  return static_cast<int>(dim < 0 ? dim + n : dim);
}

// The NumPy broadcast of two shapes, or an Error naming the op and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace glimpse

template <>
struct fmt::formatter<glimpse::Shape> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const glimpse::Shape& s, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "[{}]", fmt::join(s.begin(), s.end(), ", "));
  }
};
