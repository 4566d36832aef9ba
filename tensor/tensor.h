// Tensor: an n-d array of float32, float64 or int64 numbers (or float16 / bfloat16, stored but not computed in: see
// dtype.h), with NumPy/PyTorch view semantics.
//
// A Tensor is a cheap handle: copying it copies a shared_ptr, and the copy shares the numbers. It describes its
// elements with a shape, strides (in elements) and an offset into a shared Storage, so reshape, transpose, permute,
// narrow, select and expand make new views of the same numbers without copying. Math lives in free functions beside
// this file (elementwise.h, reduce.h, matmul.h, indexing.h); views and conversions are methods here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace glimpse {

class Tensor {
 public:
  // An undefined tensor (like a default-constructed torch::Tensor): defined() is false, every op rejects it.
  Tensor() = default;
  // A view of `storage`: element (i0, i1, ...) lives at offset + sum(ik * strides[k]) elements into it.
  Tensor(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides, int64_t offset, DType dtype);
  // A packed (row-major) tensor of `shape` over `storage`, from its first element (what empty() makes).
  Tensor(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype);

  // Makes this handle undefined, as `t = Tensor()` does, without building a 176-byte temporary and copying it in
  // (torch::Tensor::reset). The engine's sweep does this once per op.
  void reset() {
    storage_.reset();
    shape_.clear();
    strides_.clear();
    offset_ = 0;
    dtype_ = DType::Float32;
  }

  // ---- what it is
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Shape& sizes() const { return shape_; }
  // size(d) and stride(d) of dim d; negative d counts from the end (-1 is the last dim). Inline, since ops ask all the
  // time; a dim out of range (or any dim of a 0-d tensor) is an Error naming it (dim_error, tensor.cpp).
  int64_t size(int64_t dim) const {
    const int64_t d = dim < 0 ? dim + shape_.size() : dim;
    if (d >= 0 && d < shape_.size()) [[likely]] return shape_[static_cast<int>(d)];
    dim_error("size", dim);
  }
  int dim() const { return shape_.size(); }
  int64_t numel() const { return shape_.numel(); }
  const Strides& strides() const { return strides_; }
  int64_t stride(int64_t dim) const {
    const int64_t d = dim < 0 ? dim + strides_.size() : dim;
    if (d >= 0 && d < strides_.size()) [[likely]] return strides_[static_cast<int>(d)];
    dim_error("stride", dim);
  }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  // Packed in row-major order (size-1 dims may have any stride). Inline: kernels ask before choosing their loop.
  bool is_contiguous() const {
    int64_t expected = 1;
    for (int i = shape_.size() - 1; i >= 0; --i) {
      if (shape_[i] == 1) continue;
      if (strides_[i] != expected) return false;
      expected *= shape_[i];
    }
    return true;
  }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }

  // ---- raw access for kernels: a pointer to the first element (offset applied); T must match the dtype.
  template <class T>
  T* data() const {
    if (dtype_v<T> != dtype_) [[unlikely]] dtype_error(dtype_v<T>);  // kept out of line: kernels call this a lot
    return static_cast<T*>(storage_->data()) + offset_;
  }
  void* raw_data() const { return static_cast<char*>(storage_->data()) + offset_ * dtype_size(dtype_); }

  // The single value of a one-element tensor, converted to T (like PyTorch's .item()).
  template <class T = double>
  T item() const;
  // Element access by full index: t.at<float>({i, j}). Negative indices count from the end. Bounds are checked.
  template <class T>
  T& at(std::initializer_list<int64_t> index) const;

  // ---- conversions and copies
  Tensor contiguous() const;           // self if already contiguous, else a packed copy
  Tensor clone() const;                // always a new packed copy
  Tensor to(DType dtype) const;        // self if same dtype, else a converted copy
  std::vector<double> tolist() const;  // every element in row-major order, as double (for tests and printing)
  template <class T>
  std::vector<T> to_vector() const;    // every element in row-major order, as T (dtype must match)

  // ---- in place. These change the shared numbers, not the handle, so they work on a const Tensor& too (as in
  // PyTorch's C++ API): every view of the same storage sees the change. Each bumps the storage's version; a kernel
  // that writes through data<T>() into a tensor it did not just create calls bump_version() itself.
  uint64_t version() const { return storage_ ? storage_->version() : 0; }
  void bump_version() const {
    if (storage_) storage_->bump_version();
  }
  const Tensor& fill_(double value) const;
  const Tensor& zero_() const { return fill_(0.0); }
  const Tensor& copy_(const Tensor& src) const;  // src broadcasts to this shape; dtypes convert

  // ---- views (no copy). Every dim argument may be negative, counting from the end.
  Tensor view(const Shape& shape) const;     // requires compatible strides; one size may be -1
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a copy
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(const Shape& dims) const;
  Tensor t() const;  // transpose of a matrix (0-d and 1-d are returned as they are)
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;  // drops every size-1 dim
  Tensor squeeze(int64_t dim) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;  // Python's x[start:end:step]
  Tensor select(int64_t dim, int64_t index) const;                                // drops `dim`
  Tensor expand(const Shape& shape) const;  // size-1 dims grow with stride 0; -1 keeps a size
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }

 private:
  [[noreturn]] void dim_error(const char* op, int64_t dim) const;
  [[noreturn]] void dtype_error(DType asked) const;

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Strides strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::Float32;
};

// Throws a clear Error when `t` is undefined; `op` names the caller.
inline void check_defined(const Tensor& t, const char* op) {
  check(t.defined(), "{}: the tensor is undefined (default-constructed); create it with zeros/empty/tensor first", op);
}

// ---- creation (dtype defaults to float32, as in PyTorch)
Tensor empty(const Shape& shape, DType dtype = kFloat32);  // uninitialised
// empty() for another creator (zeros, eye, randn, ...): a bad shape's Error names `op`, the call the user made.
Tensor empty_for(const char* op, const Shape& shape, DType dtype);
Tensor zeros(const Shape& shape, DType dtype = kFloat32);
Tensor ones(const Shape& shape, DType dtype = kFloat32);
Tensor full(const Shape& shape, double value, DType dtype = kFloat32);
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor scalar_tensor(double value, DType dtype = kFloat32);  // a 0-d tensor
// [start, end) in steps of `step`; dtype int64 unless asked otherwise (PyTorch gives int64 for integer arguments).
Tensor arange(double end, DType dtype = kInt64);
Tensor arange(double start, double end, double step = 1.0, DType dtype = kInt64);
Tensor linspace(double start, double end, int64_t steps, DType dtype = kFloat32);
Tensor eye(int64_t n, DType dtype = kFloat32);
// From values in row-major order. A shape of {-1} (the default) makes a 1-d tensor.
Tensor tensor(const std::vector<double>& values, const Shape& shape = {-1}, DType dtype = kFloat32);
Tensor tensor(const std::vector<float>& values, const Shape& shape = {-1});
Tensor tensor(const std::vector<int64_t>& values, const Shape& shape = {-1});
Tensor tensor(std::initializer_list<double> values, const Shape& shape = {-1}, DType dtype = kFloat32);

// ---- template definitions
template <class T>
T Tensor::item() const {
  check_defined(*this, "item");
  check(numel() == 1, "item: only a one-element tensor converts to a number, this one has shape {} ({} elements)",
        shape_, numel());
  return dispatch_all(dtype_, [&]<class S>() { return convert<T>(*(static_cast<S*>(storage_->data()) + offset_)); });
}

template <class T>
T& Tensor::at(std::initializer_list<int64_t> index) const {
  check(static_cast<int>(index.size()) == dim(), "at: {} indices given for a tensor of shape {}", index.size(), shape_);
  int64_t off = 0;
  int k = 0;
  for (int64_t i : index) {
    int64_t n = shape_[k];
    check(i >= -n && i < n, "at: index {} is out of range for dim {} of size {} (shape {})", i, k, n, shape_);
    off += (i < 0 ? i + n : i) * strides_[k];
    ++k;
  }
  return data<T>()[off];
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = contiguous();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}

}  // namespace glimpse
