// nn::Linear: parameters, PyTorch's default initialisation, and the forward y = x Wᵀ + b as one linear op.
#include "nn/linear.h"

#include <cmath>

#include "autograd/ops_linear.h"
#include "nn/init.h"

namespace glimpse::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias)
    : Module("Linear"), in_features(in_features), out_features(out_features) {
  check(in_features >= 0 && out_features >= 0,
        "Linear: in_features and out_features must be >= 0, got in_features={}, out_features={}", in_features,
        out_features);
  weight = register_parameter("weight", empty({out_features, in_features}));
  // a = √5 makes the Kaiming bound gain·√3/√in = √(2/6)·√3/√in = 1/√in: PyTorch's historical default, kept so that
  // models initialise as they do there.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias) {
    this->bias = register_parameter("bias", empty({out_features}));
    const double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
    init::uniform_(this->bias, -bound, bound);
  }
}

// x: [*, in] -> [*, out]
Variable Linear::forward(const Variable& x) const {
  check(x.defined(), "Linear: the input is undefined");
  check(x.dim() >= 1 && x.size(-1) == in_features,
        "Linear: input of shape {} does not end in in_features={}; the last dim must be the {} features", x.shape(),
        in_features, in_features);
  check(x.dtype() == weight.dtype(), "Linear: input of shape {} is {} but the layer's parameters are {}; Linear wants "
        "a floating-point input of its dtype ({}): convert with x.to({}){}", x.shape(), dtype_name(x.dtype()),
        dtype_name(weight.dtype()), dtype_name(weight.dtype()), weight.dtype() == kFloat64 ? "kFloat64" : "kFloat32",
        is_floating(x.dtype()) ? " or the layer with to()" : " (token ids go through nn::Embedding first)");
  // One tape entry (autograd/ops_linear.h): the GEMM x Wᵀ with W read through BLAS's transpose flag and the leading
  // dims of x folded into its rows, the bias added in place.
  return linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     bias.defined() ? "True" : "False");
}

}  // namespace glimpse::nn
