// Differentiable views (the Variable methods declared in variable.h) and the joining, splitting and indexing ops of
// ops_shape.h. Each function is the whole story of one op: the forward on Tensors, then the backward closure.
//
// Views share the input's storage in the forward (no copy: y.data() is a Tensor view of x.data()). Their backward
// does the inverse rearrangement of the gradient, which is again a view where it can be (transpose, permute,
// reshape); a view that keeps only part of its input (narrow, slice, select) is recorded with record_part (node.h): its
// gradient is zero except g in that part, and the engine adds the parts of one input into a single buffer.
#include "autograd/ops_shape.h"

#include <span>

#include "autograd/node.h"
#include "tensor/indexing.h"
#include "tensor/reduce.h"

namespace glimpse {
namespace {

}  // namespace

// ---- views

// x: [*] -> shape (same numel). dx = g read back in x's shape; reshape, not view, because g may be any strided tensor.
Variable Variable::view(const Shape& shape) const {
  return record("view", data().view(shape), {*this},
                [in = this->shape()](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

// x: [*] -> shape (same numel); a view when the strides allow, else a copy
Variable Variable::reshape(const Shape& shape) const {
  return record("reshape", data().reshape(shape), {*this},
                [in = this->shape()](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

// x: [a, b, c, d] -> e.g. flatten(1, 2): [a, b*c, d]
Variable Variable::flatten(int64_t start_dim, int64_t end_dim) const {
  return record("flatten", data().flatten(start_dim, end_dim), {*this},
                [in = shape()](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

// x: [.., a, .., b, ..] -> [.., b, .., a, ..]; a transpose is its own inverse
Variable Variable::transpose(int64_t dim0, int64_t dim1) const {
  return record("transpose", data().transpose(dim0, dim1), {*this},
                [dim0, dim1](const Tensor& g) -> Grads { return {g.transpose(dim0, dim1)}; });
}

// x: [s0, s1, ...] -> [s_dims[0], s_dims[1], ...]; dx = g permuted by the inverse permutation
Variable Variable::permute(const Shape& dims) const {
  Tensor y = data().permute(dims);  // validates dims
  Shape inverse = Shape::filled(dims.size(), 0);
  for (int i = 0; i < dims.size(); ++i) inverse[wrap_dim(dims[i], dims.size(), "permute")] = i;
  return record("permute", y, {*this}, [inverse](const Tensor& g) -> Grads { return {g.permute(inverse)}; });
}

// x: [m, n] -> [n, m] (0-d and 1-d unchanged)
Variable Variable::t() const {
  return record("t", data().t(), {*this}, [](const Tensor& g) -> Grads { return {g.t()}; });
}

// x: [*] -> [*] with a 1 inserted at dim; dx = g with it removed again
Variable Variable::unsqueeze(int64_t dim) const {
  Tensor y = data().unsqueeze(dim);
  const int w = wrap_dim(dim, y.dim(), "unsqueeze");
  return record("unsqueeze", y, {*this}, [w](const Tensor& g) -> Grads { return {g.squeeze(w)}; });
}

// x: [*] -> [*] without its size-1 dims
Variable Variable::squeeze() const {
  return record("squeeze", data().squeeze(), {*this},
                [in = shape()](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

// x: [*] -> [*] without dim if it has size 1 (else unchanged)
Variable Variable::squeeze(int64_t dim) const {
  return record("squeeze", data().squeeze(dim), {*this},
                [in = shape()](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

// x: [.., n, ..] -> [.., length, ..]; dx = zeros with g in [start, start + length) along dim
Variable Variable::narrow(int64_t dim, int64_t start, int64_t length) const {
  return record_part("narrow", data().narrow(dim, start, length), *this,
                     [dim, start, length](const Tensor& t) { return t.narrow(dim, start, length); });
}

// x: [.., n, ..] -> [.., ceil((end - start) / step), ..]; dx = zeros with g at every step-th position of the range
Variable Variable::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return record_part("slice", data().slice(dim, start, end, step), *this,
                     [dim, start, end, step](const Tensor& t) { return t.slice(dim, start, end, step); });
}

// x: [.., n, ..] -> [.., ..] (dim dropped); dx = zeros with g at position index along dim
Variable Variable::select(int64_t dim, int64_t index) const {
  return record_part("select", data().select(dim, index), *this,
                     [dim, index](const Tensor& t) { return t.select(dim, index); });
}

// x: [*S] -> shape (size-1 dims repeated with stride 0, new leading dims). Each input element was read once per
// copy, so dx sums g over the repeated dims.
Variable Variable::expand(const Shape& shape) const {
  return record("expand", data().expand(shape), {*this},
                [in = this->shape()](const Tensor& g) -> Grads { return {sum_to_size(g, in)}; });
}

// x: [*] -> [*], packed. Already contiguous: x itself, as in PyTorch (no copy, no tape entry).
Variable Variable::contiguous() const {
  if (data().is_contiguous()) return *this;
  return record("contiguous", data().contiguous(), {*this}, [](const Tensor& g) -> Grads { return {g}; });
}

// ---- joining

// xs: k Variables [..., n_i, ...] -> [..., sum n_i, ...]. Input i's gradient is its slice of g along dim (converted
// back to its dtype if cat promoted it). cat skips 1-d empty inputs, which get an empty gradient.
Variable cat(const std::vector<Variable>& xs, int64_t dim) {
  std::vector<Tensor> ts;
  ts.reserve(xs.size());
  for (const Variable& x : xs) ts.push_back(x.data());
  Tensor y = cat(ts, dim);

  struct Piece {
    int64_t start, length;
    DType dtype;
    bool skipped;
  };
  std::vector<Piece> pieces;
  pieces.reserve(ts.size());
  bool any = false;
  for (const Tensor& t : ts) {
    const bool skipped = t.dim() == 1 && t.size(0) == 0;
    any = any || !skipped;
    pieces.push_back({0, 0, t.dtype(), skipped});
  }
  const int d = any ? wrap_dim(dim, y.dim(), "cat") : 0;  // all skipped: y is [0] and nothing is sliced
  int64_t start = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (pieces[i].skipped) continue;
    pieces[i].start = start;
    pieces[i].length = ts[i].size(d);
    start += pieces[i].length;
  }
  return record("cat", y, std::span<const Variable>(xs), saved(),
                [pieces = std::move(pieces), d](const Tensor& g) -> Grads {
    Grads grads;
    grads.reserve(pieces.size());
    for (const Piece& p : pieces) {
      grads.push_back(p.skipped ? empty({0}, p.dtype) : g.narrow(d, p.start, p.length).to(p.dtype));
    }
    return grads;
  });
}

// xs: k Variables [*S] -> [..., k, ...] with the new dim at `dim`. Input i's gradient is g.select(dim, i).
Variable stack(const std::vector<Variable>& xs, int64_t dim) {
  std::vector<Tensor> ts;
  ts.reserve(xs.size());
  for (const Variable& x : xs) ts.push_back(x.data());
  Tensor y = stack(ts, dim);
  const int d = wrap_dim(dim, y.dim(), "stack");
  std::vector<DType> dtypes;
  dtypes.reserve(ts.size());
  for (const Tensor& t : ts) dtypes.push_back(t.dtype());
  return record("stack", y, std::span<const Variable>(xs), saved(),
                [dtypes = std::move(dtypes), d](const Tensor& g) -> Grads {
    Grads grads;
    grads.reserve(dtypes.size());
    for (size_t i = 0; i < dtypes.size(); ++i) grads.push_back(g.select(d, static_cast<int64_t>(i)).to(dtypes[i]));
    return grads;
  });
}

// ---- splitting: the tensor op decides the pieces (and validates); each becomes a differentiable narrow of x.

namespace {
// pieces: views of x.data() laid end to end along dim -> the same pieces as narrows of the Variable x
std::vector<Variable> as_narrows(const Variable& x, const std::vector<Tensor>& pieces, int64_t dim, const char* op) {
  const int d = wrap_dim(dim, x.dim(), op);
  std::vector<Variable> out;
  out.reserve(pieces.size());
  int64_t start = 0;
  for (const Tensor& p : pieces) {
    out.push_back(x.narrow(d, start, p.size(d)));
    start += p.size(d);
  }
  return out;
}
}  // namespace

// x: [..., n, ...] -> pieces [..., split_size, ...] (the last holds the remainder)
std::vector<Variable> split(const Variable& x, int64_t split_size, int64_t dim) {
  return as_narrows(x, split(x.data(), split_size, dim), dim, "split");
}

// x: [..., n, ...] -> pieces [..., sizes[i], ...]
std::vector<Variable> split(const Variable& x, const std::vector<int64_t>& sizes, int64_t dim) {
  return as_narrows(x, split(x.data(), sizes, dim), dim, "split");
}

// x: [..., n, ...] -> pieces [..., ceil(n / chunks), ...]
std::vector<Variable> chunk(const Variable& x, int64_t chunks, int64_t dim) {
  return as_narrows(x, chunk(x.data(), chunks, dim), dim, "chunk");
}

// ---- indexing

// x: [..., n, ...], index: [k] -> [..., k, ...]. dx = zeros, then dx[.., index[i], ..] += g[.., i, ..]: a scatter_add
// with the index broadcast over g's other dims, so repeated indices accumulate.
Variable index_select(const Variable& x, int64_t dim, const Tensor& index) {
  check_defined(x, "index_select");
  Tensor y = index_select(x.data(), dim, index);
  const int d = wrap_dim(dim, x.dim(), "index_select");
  return record("index_select", y, {x}, saved(index), [in = x.shape(), index, d](const Tensor& g) -> Grads {
    Shape along = Shape::filled(in.size(), 1);  // [1, .., k, .., 1]: the index laid along dim
    along[d] = index.numel();
    Tensor idx = index.dim() == 0 ? index.unsqueeze(0) : index;  // a 0-d index picked one slice
    return {scatter_add(zeros(in, g.dtype()), d, idx.view(along).expand(g.shape()), g)};
  });
}

// x: [*], index: [*] (same number of dims) -> index's shape. y[i][j] = x[i][index[i][j]] (dim = 1), so
// dx[i][index[i][j]] += g[i][j]: a scatter_add into zeros.
Variable gather(const Variable& x, int64_t dim, const Tensor& index) {
  check_defined(x, "gather");
  Tensor y = gather(x.data(), dim, index);
  return record("gather", y, {x}, saved(index), [in = x.shape(), index, dim](const Tensor& g) -> Grads {
    return {scatter_add(zeros(in, g.dtype()), dim, index, g)};
  });
}

// ids: [*] int64, weight: [V, D] -> [*, D]. Row v of the weight's gradient is the sum of g's rows whose id is v.
Variable embedding(const Tensor& ids, const Variable& weight) {
  check_defined(weight, "embedding");
  Tensor y = embedding(ids, weight.data());
  return record("embedding", y, {weight}, saved(ids), [ids, V = weight.size(0)](const Tensor& g) -> Grads {
    return {embedding_backward(ids, g, V)};
  });
}

}  // namespace glimpse
