// Differentiable joining, splitting and indexing of Variables: cat, stack, split, chunk, index_select, gather and
// embedding. (The views, x.view(...), x.transpose(...), x.narrow(...) and the rest, are Variable methods declared in
// variable.h; both are defined in ops_shape.cpp.)
//
// Index tensors are plain int64 Tensors: they select, they have no gradient.
#pragma once

#include <vector>

#include "autograd/variable.h"

namespace glimpse {

// Joins along an existing dim (cat) or a new one (stack); each input gets back its own slice of the gradient.
// cat: k Variables [..., n_i, ...] -> [..., sum n_i, ...]; stack: k Variables [*S] -> [..., k, ...] (new dim at dim)
Variable cat(const std::vector<Variable>& xs, int64_t dim = 0);
Variable stack(const std::vector<Variable>& xs, int64_t dim = 0);

// Consecutive pieces along dim, each a narrow() view of x: by size (the last may be smaller), by a list of sizes, or
// into a number of chunks (PyTorch's rule: ceil(n / chunks) each, so possibly fewer pieces).
// x: [..., n, ...] -> pieces [..., n_i, ...]
std::vector<Variable> split(const Variable& x, int64_t split_size, int64_t dim = 0);
std::vector<Variable> split(const Variable& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
std::vector<Variable> chunk(const Variable& x, int64_t chunks, int64_t dim = 0);

// x: [..., n, ...] along dim, index: [k] int64 -> [..., k, ...]; repeated indices accumulate their gradients.
Variable index_select(const Variable& x, int64_t dim, const Tensor& index);
// out[i][j] = x[i][index[i][j]] (for dim = 1); index has x's number of dims, out has index's shape.
Variable gather(const Variable& x, int64_t dim, const Tensor& index);
// Row lookup (PyTorch's F.embedding argument order): ids: [*] int64, weight: [V, D] -> [*, D].
// Rows looked up several times accumulate their gradients.
Variable embedding(const Tensor& ids, const Variable& weight);

}  // namespace glimpse
