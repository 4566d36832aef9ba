// Differentiable reductions on Variables: sum, mean, amax/amin, max/min along a dim, var/std, logsumexp, norm, and
// softmax / log_softmax.
//
// Same names, arguments and numbers as tensor/reduce.h: `dims` lists the dims to reduce (negative counts from the
// end, an empty list reduces everything) and keepdim keeps them as size 1. Each is defined in ops_reduce.cpp as
// forward-then-backward in one function (see node.h for the pattern).
#pragma once

#include "autograd/variable.h"

namespace glimpse {

// x: [*] -> [*] with `dims` removed (or kept as 1)
Variable sum(const Variable& x, const Shape& dims = {}, bool keepdim = false);
Variable mean(const Variable& x, const Shape& dims = {}, bool keepdim = false);
// The gradient is split evenly among the elements that tie for the extremum (as torch.amax).
Variable amax(const Variable& x, const Shape& dims = {}, bool keepdim = false);
Variable amin(const Variable& x, const Shape& dims = {}, bool keepdim = false);
// Bessel's correction by default (correction = 1), as torch.var / torch.std.
Variable var(const Variable& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
Variable std(const Variable& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
// log(sum(exp(x))), computed stably.
Variable logsumexp(const Variable& x, const Shape& dims, bool keepdim = false);
// The p-norm (p = 2 by default; p = inf / -inf is the max / min of |x|, p = 0 counts non-zeros and has no gradient).
Variable norm(const Variable& x, double p = 2.0, const Shape& dims = {}, bool keepdim = false);

// max/min along one dim with the positions: x: [*, n, *] -> values [*, *], indices [*, *] (int64, no gradient).
// The gradient goes to the position in `indices` only (the first of ties), as in PyTorch.
struct VariableValuesIndices {
  Variable values;
  Tensor indices;
};
VariableValuesIndices max(const Variable& x, int64_t dim, bool keepdim = false);
VariableValuesIndices min(const Variable& x, int64_t dim, bool keepdim = false);
// Over everything: x: [*] -> [] (0-d); ties share the gradient evenly, as amax / amin.
Variable max(const Variable& x);
Variable min(const Variable& x);

// x: [*] -> [*], normalised along `dim`
Variable softmax(const Variable& x, int64_t dim);
Variable log_softmax(const Variable& x, int64_t dim);

}  // namespace glimpse
