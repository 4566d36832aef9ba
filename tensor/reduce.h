// Reductions over one or several dims, softmax and friends. The kernels: reduce.cpp (sum, mean, var, std, logsumexp,
// norm, sum_to_size), reduce_extremes.cpp (amax/amin, max/min with positions, argmax/argmin), softmax.cpp, all on
// the shared machinery of reduce_kernel.h.
//
// `dims` lists the dims to reduce (negative counts from the end); an empty list reduces over every dim. With keepdim
// the reduced dims stay as size 1, so the result broadcasts back against the input.
#pragma once

#include "tensor/tensor.h"

namespace glimpse {

// x: [*] -> [*] with `dims` removed (or kept as 1)
Tensor sum(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor amax(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
// Variance and standard deviation with Bessel's correction by default (correction = 1), as torch.var.
Tensor var(const Tensor& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
// log(sum(exp(x))) computed stably (the max is subtracted first).
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim = false);
// The p-norm over dims (p = 2 by default; p = inf is the max of |x|).
Tensor norm(const Tensor& x, double p = 2.0, const Shape& dims = {}, bool keepdim = false);

// max/min along one dim, with the positions: x: [*, n, *] -> values [*, *], indices [*, *] (int64)
struct ValuesIndices {
  Tensor values;
  Tensor indices;
};
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);  // over everything -> 0-d
Tensor min(const Tensor& x);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // int64 positions (first of ties)
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);

// Sums x down to `shape` (which x's shape must broadcast from): the un-broadcast that gradients need.
// x: [broadcast of shape] -> [shape]
Tensor sum_to_size(const Tensor& x, const Shape& shape);

// x: [*] -> [*], normalised along `dim`, numerically stable for any magnitude.
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace glimpse
