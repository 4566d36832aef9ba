// gradcheck: does an op's backward agree with finite differences? For the framework's tests and for users' own ops.
//
//   bool ok = gradcheck([](const std::vector<Variable>& in) { return my_op(in[0], in[1]); },
//                       {Variable(randn({3, 4}, kFloat64), true), Variable(randn({4}, kFloat64), true)});
//
// How: the output y = fn(inputs) is projected on a fixed random direction v, L = sum(v * y). The analytic gradient
// of L comes from one backward (with gradient v); the numerical one from central differences
// (L(x + eps) - L(x - eps)) / 2eps, element by element, for every input that requires grad. A random v checks the
// whole Jacobian with probability one at the cost of a single backward. Inputs must be float64, so that eps = 1e-6
// gives differences accurate to ~1e-9.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.h"

namespace glimpse {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // an element passes when |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's defaults)
  double rtol = 1e-3;
  uint64_t seed = 0;   // for the projection direction v
  bool raise_exception = true;  // on failure: throw an Error describing the worst element (else return false)
};

using GradcheckFn = std::function<Variable(const std::vector<Variable>&)>;

bool gradcheck(const GradcheckFn& fn, const std::vector<Variable>& inputs, const GradcheckOptions& options = {});

// The same check, also with respect to `params`: Variables that fn reads directly rather than through its inputs (a
// layer's weights). They are perturbed in place, so they must be float64 leaves; errors name them by their name.
// nn::gradcheck(module, ...) passes a module's named_parameters() here.
using NamedVariables = std::vector<std::pair<std::string, Variable>>;
bool gradcheck_with_params(const GradcheckFn& fn, const std::vector<Variable>& inputs, const NamedVariables& params,
                           const GradcheckOptions& options = {});

}  // namespace glimpse
