// nn::gradcheck: glimpse::gradcheck over a layer's inputs and parameters (see gradcheck.h).
#include "nn/gradcheck.h"

namespace glimpse::nn {

bool gradcheck(const Module& module, const GradcheckFn& fn, const std::vector<Variable>& inputs,
               const GradcheckOptions& options) {
  return gradcheck_with_params(fn, inputs, module.named_parameters(), options);
}

}  // namespace glimpse::nn
