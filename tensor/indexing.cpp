// Gathering, scattering, joining and splitting tensors, and triangular masks.
//
// Conventions shared by every op here:
//   - Index tensors must be int64, and every index is checked against its valid range BEFORE anything is written, so a
//     bad index raises an Error naming the op, the index and the range, and never leaves a half-filled result.
//   - Inputs may be any strided view (transposed, sliced, expanded); results are new contiguous tensors, except split
//     and chunk, which return views of their input (as in PyTorch).
//   - cat and stack promote mixed dtypes (int64 < float32 < float64), as torch.cat does since PyTorch 1.5.
// The copies are done by one strided-copy helper built on for_each_block (iter.h): it merges dims that are contiguous
// in both operands, so copying whole rows of contiguous tensors becomes a plain loop the compiler vectorises.
#include "tensor/indexing.h"

#include <algorithm>
#include <cstring>

#include "tensor/index_check.h"
#include "tensor/iter.h"

namespace glimpse {
namespace {
using detail::check_int64_index;
using detail::check_range;

// dst[i] = src[i] over `shape`, each side with its own strides (in elements).
template <class T>
void copy_strided(T* dst, const Strides& dst_st, const T* src, const Strides& src_st, const Shape& shape) {
  for_each_block<2>(shape, {&dst_st, &src_st}, [&](const Block<2>& b) {
    T* d = dst + b.offset[0];
    const T* s = src + b.offset[1];
    if (b.stride[0] == 1 && b.stride[1] == 1) {
      std::copy(s, s + b.n, d);
    } else {
      for (int64_t i = 0; i < b.n; ++i) d[i * b.stride[0]] = s[i * b.stride[1]];
    }
  });
}

// A shape or strides with entry `dim` removed.
Shape without(const Shape& s, int dim) {
  Shape out = s;
  out.erase(dim);
  return out;
}


// The dtype of cat/stack's result: the promotion of every input's dtype.
DType promote_all(const std::vector<Tensor>& xs) {
  DType dt = xs[0].dtype();
  for (const Tensor& x : xs) dt = promote(dt, x.dtype());
  return dt;
}

}  // namespace

// x: [..., n, ...] along dim, index: [k] -> [..., k, ...]
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined(x, "index_select");
  check_int64_index(index, "index_select");
  check(x.dim() >= 1, "index_select: x is 0-d (a scalar); there is no dim to select along");
  check(index.dim() <= 1, "index_select: index must be 1-d (or 0-d), got shape {}; flatten it first", index.shape());
  const int d = wrap_dim(dim, x.dim(), "index_select");
  const int64_t n = x.size(d);
  Tensor idx = index.contiguous();
  const int64_t k = idx.numel();
  const int64_t* ip = idx.data<int64_t>();
  check_range(ip, k, n, "index_select", "index",
              [&] { return fmt::format("dim {} (size {}) of x {}", d, n, x.shape()); });

  Shape shape = x.shape();
  shape[d] = k;
  Tensor out = empty(shape, x.dtype());
  if (out.numel() == 0) return out;
  const Shape rest = without(x.shape(), d);
  const Strides xs = without(x.strides(), d), os = without(out.strides(), d);
  const int64_t xstride = x.strides()[d], ostride = out.strides()[d];
  dispatch(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    for (int64_t i = 0; i < k; ++i) copy_strided(dst + i * ostride, os, src + ip[i] * xstride, xs, rest);
  });
  return out;
}

// out[i][j] = x[i][index[i][j]] (dim = 1): x: [*], index: [*] (same number of dims) -> index's shape
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined(x, "gather");
  check_int64_index(index, "gather");
  check(index.dim() == x.dim(), "gather: index has {} dims (shape {}) but x has {} (shape {}); they must match",
        index.dim(), index.shape(), x.dim(), x.shape());
  if (x.dim() == 0) return gather(x.unsqueeze(0), 0, index.unsqueeze(0)).squeeze(0);  // 0-d: as a 1-element row
  const int d = wrap_dim(dim, x.dim(), "gather");
  for (int i = 0; i < x.dim(); ++i) {
    check(i == d || index.size(i) <= x.size(i),
          "gather: index shape {} is larger than x shape {} in dim {}; outside dim {} it must fit inside x",
          index.shape(), x.shape(), i, d);
  }
  const int64_t n = x.size(d);
  Tensor idx = index.contiguous();
  const int64_t* ip = idx.data<int64_t>();
  check_range(ip, idx.numel(), n, "gather", "index",
              [&] { return fmt::format("dim {} (size {}) of x {}", d, n, x.shape()); });

  Tensor out = empty(index.shape(), x.dtype());  // contiguous like idx, so one offset serves both
  const int64_t xstride = x.strides()[d];
  Strides xs = x.strides();
  xs[d] = 0;  // along dim the position comes from the index, not from the walk
  dispatch(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    for_each_block<2>(out.shape(), {&out.strides(), &xs}, [&](const Block<2>& b) {
      T* o = dst + b.offset[0];
      const int64_t* id = ip + b.offset[0];
      const T* s = src + b.offset[1];
      for (int64_t i = 0; i < b.n; ++i) o[i * b.stride[0]] = s[i * b.stride[1] + id[i * b.stride[0]] * xstride];
    });
  });
  return out;
}

// out = x, then out[i][index[i][j]] += src[i][j] (dim = 1): x: [*], index: [*], src: [*] -> x's shape
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined(x, "scatter_add");
  check_defined(src, "scatter_add");
  check_int64_index(index, "scatter_add");
  check(index.dim() == x.dim() && src.dim() == x.dim(),
        "scatter_add: x {}, index {} and src {} must have the same number of dims", x.shape(), index.shape(),
        src.shape());
  check(src.dtype() == x.dtype(), "scatter_add: src has dtype {} but x has {}; convert with src.to(x.dtype())",
        dtype_name(src.dtype()), dtype_name(x.dtype()));
  if (x.dim() == 0) return scatter_add(x.unsqueeze(0), 0, index.unsqueeze(0), src.unsqueeze(0)).squeeze(0);
  const int d = wrap_dim(dim, x.dim(), "scatter_add");
  for (int i = 0; i < x.dim(); ++i) {
    check(index.size(i) <= src.size(i), "scatter_add: index shape {} is larger than src shape {} in dim {}",
          index.shape(), src.shape(), i);
    check(i == d || index.size(i) <= x.size(i),
          "scatter_add: index shape {} is larger than x shape {} in dim {}; outside dim {} it must fit inside x",
          index.shape(), x.shape(), i, d);
  }
  const int64_t n = x.size(d);
  Tensor idx = index.contiguous();
  const int64_t* ip = idx.data<int64_t>();
  check_range(ip, idx.numel(), n, "scatter_add", "index",
              [&] { return fmt::format("dim {} (size {}) of x {}", d, n, x.shape()); });

  Tensor out = x.clone();
  const int64_t ostride = out.strides()[d];
  Strides os = out.strides();
  os[d] = 0;  // along dim the target position comes from the index
  dispatch(x.dtype(), [&]<class T>() {
    const T* s = src.data<T>();
    T* dst = out.data<T>();
    // Walk index's shape: operand 0 is index (contiguous), 1 is src (its own strides), 2 is out.
    for_each_block<3>(idx.shape(), {&idx.strides(), &src.strides(), &os}, [&](const Block<3>& b) {
      const int64_t* id = ip + b.offset[0];
      const T* v = s + b.offset[1];
      T* o = dst + b.offset[2];
      for (int64_t i = 0; i < b.n; ++i) o[i * b.stride[2] + id[i * b.stride[0]] * ostride] += v[i * b.stride[1]];
    });
  });
  return out;
}

// xs: k tensors [..., n_i, ...] -> [..., sum n_i, ...]
// As in PyTorch, a 1-d empty tensor (shape [0]) is skipped whatever the others' shapes, so an empty accumulator can
// start a `acc = cat({acc, x})` loop.
Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  check(!xs.empty(), "cat: expects a non-empty list of tensors");
  for (const Tensor& x : xs) check_defined(x, "cat");
  auto skipped = [](const Tensor& x) { return x.dim() == 1 && x.size(0) == 0; };
  size_t r = 0;  // the reference tensor: the first one not skipped
  while (r < xs.size() && skipped(xs[r])) ++r;
  if (r == xs.size()) return empty({0}, promote_all(xs));
  const Tensor& ref = xs[r];
  check(ref.dim() >= 1, "cat: tensor {} is 0-d (a scalar); cat joins along an existing dim, use stack for scalars", r);
  const int d = wrap_dim(dim, ref.dim(), "cat");
  int64_t total = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    if (skipped(x)) continue;
    check(x.dim() == ref.dim(), "cat: tensor {} has shape {} but tensor {} has shape {}; all need the same number of dims",
          i, x.shape(), r, ref.shape());
    for (int j = 0; j < x.dim(); ++j) {
      check(j == d || x.size(j) == ref.size(j),
            "cat: tensor {} has shape {} but tensor {} has shape {}; sizes must match except in dim {} (the cat dim)", i,
            x.shape(), r, ref.shape(), d);
    }
    total += x.size(d);
  }
  Shape shape = ref.shape();
  shape[d] = total;
  Tensor out = empty(shape, promote_all(xs));
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    if (skipped(x)) continue;
    Tensor part = out.narrow(d, offset, x.size(d));
    if (part.numel() > 0) part.copy_(x);  // copy_ walks x's strides and converts its dtype
    offset += x.size(d);
  }
  return out;
}

// xs: k tensors [*S] -> [..., k, ...] with the new dim at `dim`
Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  check(!xs.empty(), "stack: expects a non-empty list of tensors");
  for (const Tensor& x : xs) check_defined(x, "stack");
  const Shape& s0 = xs[0].shape();
  for (size_t i = 1; i < xs.size(); ++i) {
    check(xs[i].shape() == s0, "stack: tensor {} has shape {} but tensor 0 has shape {}; all shapes must be equal", i,
          xs[i].shape(), s0);
  }
  const int d = wrap_dim(dim, xs[0].dim() + 1, "stack");
  Shape shape = s0;
  shape.insert(d, static_cast<int64_t>(xs.size()));
  Tensor out = empty(shape, promote_all(xs));
  if (out.numel() == 0) return out;
  for (size_t i = 0; i < xs.size(); ++i) {
    Tensor part = out.select(d, static_cast<int64_t>(i));
    part.copy_(xs[i]);
  }
  return out;
}

// x: [..., n, ...] -> views [..., split_size, ...] (the last holds the remainder)
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  check_defined(x, "split");
  check(x.dim() >= 1, "split: x is 0-d (a scalar); there is no dim to split");
  check(split_size > 0, "split: split_size must be positive (got {})", split_size);
  const int d = wrap_dim(dim, x.dim(), "split");
  const int64_t n = x.size(d);
  std::vector<Tensor> out;
  if (n == 0) {
    out.push_back(x);  // PyTorch: splitting an empty dim gives one empty piece
    return out;
  }
  out.reserve(static_cast<size_t>((n + split_size - 1) / split_size));
  for (int64_t start = 0; start < n; start += split_size) out.push_back(x.narrow(d, start, std::min(split_size, n - start)));
  return out;
}

// x: [..., n, ...] -> views [..., sizes[i], ...]; the sizes must add up to n
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  check_defined(x, "split");
  check(x.dim() >= 1, "split: x is 0-d (a scalar); there is no dim to split");
  const int d = wrap_dim(dim, x.dim(), "split");
  const int64_t n = x.size(d);
  int64_t sum = 0;
  for (int64_t s : sizes) {
    check(s >= 0, "split: sizes [{}] contain a negative size", fmt::join(sizes, ", "));
    sum += s;
  }
  check(sum == n, "split: sizes [{}] add up to {} but dim {} of x {} has size {}; they must add up to it",
        fmt::join(sizes, ", "), sum, d, x.shape(), n);
  std::vector<Tensor> out;
  out.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(x.narrow(d, start, s));
    start += s;
  }
  return out;
}

// x: [..., n, ...] -> views of ceil(n / chunks) along dim (PyTorch's rule: this may give fewer than `chunks` pieces,
// e.g. 6 split into 4 chunks is 2 + 2 + 2)
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  check_defined(x, "chunk");
  check(x.dim() >= 1, "chunk: x is 0-d (a scalar); there is no dim to chunk");
  check(chunks > 0, "chunk: chunks must be positive (got {})", chunks);
  const int d = wrap_dim(dim, x.dim(), "chunk");
  const int64_t n = x.size(d);
  if (n == 0) return std::vector<Tensor>(static_cast<size_t>(chunks), x);  // PyTorch: `chunks` empty pieces
  return split(x, (n + chunks - 1) / chunks, d);
}

namespace {
// Zeroes the part of each [m, n] matrix of a contiguous `out` outside the kept band. Row i keeps columns
// [keep_lo(i), keep_hi(i)) and everything else in the row is set to 0.
template <class KeepRange>
Tensor triangle(const Tensor& x, const char* op, KeepRange keep) {
  check_defined(x, op);
  check(x.dim() >= 2, "{}: expects at least 2 dims [*, m, n], got shape {}", op, x.shape());
  Tensor out = x.clone();
  const int64_t m = x.size(-2), n = x.size(-1);
  const int64_t batch = out.numel() == 0 ? 0 : out.numel() / (m * n);
  dispatch(x.dtype(), [&]<class T>() {
    T* p = out.data<T>();
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < m; ++i) {
        T* row = p + (b * m + i) * n;
        auto [lo, hi] = keep(i, n);
        std::fill(row, row + lo, T(0));
        std::fill(row + hi, row + n, T(0));
      }
    }
  });
  return out;
}
}  // namespace

// x: [*, m, n] -> [*, m, n], keeping (i, j) with j - i <= diagonal
Tensor tril(const Tensor& x, int64_t diagonal) {
  // Clamp first so that i + diagonal cannot overflow for absurd diagonals.
  const int64_t diag = std::clamp<int64_t>(diagonal, -(int64_t{1} << 40), int64_t{1} << 40);
  return triangle(x, "tril", [diag](int64_t i, int64_t n) {
    return std::pair<int64_t, int64_t>{0, std::clamp<int64_t>(i + diag + 1, 0, n)};
  });
}

// x: [*, m, n] -> [*, m, n], keeping (i, j) with j - i >= diagonal
Tensor triu(const Tensor& x, int64_t diagonal) {
  const int64_t diag = std::clamp<int64_t>(diagonal, -(int64_t{1} << 40), int64_t{1} << 40);
  return triangle(x, "triu", [diag](int64_t i, int64_t n) {
    const int64_t lo = std::clamp<int64_t>(i + diag, 0, n);
    return std::pair<int64_t, int64_t>{lo, n};
  });
}

}  // namespace glimpse
