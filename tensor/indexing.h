// Gathering, scattering, joining and splitting tensors, and triangular masks.
//
// Index tensors are int64. Negative indices are rejected (PyTorch wraps them for index_select but not for gather or
// embedding; glimpse rejects them everywhere, naming the op, the index and the valid range).
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace glimpse {

// x: [..., n, ...] along dim, index: [k] -> [..., k, ...]
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[i][j] = x[i][index[i][j]] (for dim = 1), index has x's number of dims; out has index's shape.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// out = x, then out[i][index[i][j]] += src[i][j] (for dim = 1); repeated indices accumulate.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// Row lookup (PyTorch's F.embedding argument order): ids: [*] int64, weight: [V, D] -> [*, D]
Tensor embedding(const Tensor& ids, const Tensor& weight);
// The backward of embedding: sums grad rows into a [V, D] table by id (repeated ids accumulate).
// ids: [*], grad: [*, D] -> [V, D]
Tensor embedding_backward(const Tensor& ids, const Tensor& grad, int64_t num_embeddings);

// Joins along an existing dim (cat) or a new one (stack). All shapes must match except along dim (cat).
Tensor cat(const std::vector<Tensor>& xs, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim = 0);
// Views of consecutive pieces along dim: split by size (the last may be smaller), chunk into a count.
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);

// Lower / upper triangle of the last two dims: x: [*, m, n] -> [*, m, n], the rest zeroed.
// Element (i, j) is kept by tril when j - i <= diagonal, by triu when j - i >= diagonal.
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);

}  // namespace glimpse
