// nn::gradcheck: does a layer's backward agree with finite differences, for its inputs AND every parameter?
//
//   nn::Linear fc(3, 2);
//   fc.to(kFloat64);                                   // finite differences need float64
//   Variable x(randn({4, 3}, kFloat64), true);
//   nn::gradcheck(fc, [&](const std::vector<Variable>& in) { return fc.forward(in[0]); }, {x});
//
// glimpse::gradcheck (autograd/gradcheck.h) makes fresh leaves of its inputs, so it cannot see the weights a layer
// reads from its own members; this one also perturbs each of module.named_parameters() in place and names the wrong
// one in its Error ("gradient of parameter 'weight' ..."). Same method and options as glimpse::gradcheck.
#pragma once

#include <vector>

#include "autograd/gradcheck.h"
#include "nn/module.h"

namespace glimpse::nn {

bool gradcheck(const Module& module, const GradcheckFn& fn, const std::vector<Variable>& inputs,
               const GradcheckOptions& options = {});

}  // namespace glimpse::nn
