// Views: reshape, transpose, permute, narrow, slice, select, expand, ... Each computes a new shape, strides and
// offset over the same Storage; nothing is copied (except reshape when no view exists).
#include "tensor/tensor.h"

#include <algorithm>

namespace glimpse {

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
  if (requested == shape_) return *this;  // its own shape: itself (ops end this way often; no stride work)
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
  if (requested == shape_) return *this;  // as view: nothing to do
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
