// Activation modules: each forward is one call to the differentiable function of the same name.
#include "nn/activation.h"

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"

namespace glimpse::nn {

// x: [*] -> [*]
Variable ReLU::forward(const Variable& x) const { return relu(x); }

GELU::GELU(std::string approximate) : Module("GELU"), approximate(std::move(approximate)) {
  check(this->approximate == "none" || this->approximate == "tanh",
        "GELU: approximate must be \"none\" or \"tanh\", got \"{}\"", this->approximate);
}

// x: [*] -> [*]
Variable GELU::forward(const Variable& x) const { return gelu(x, approximate); }

std::string GELU::extra_repr() const { return fmt::format("approximate='{}'", approximate); }

// x: [*] -> [*]
Variable Tanh::forward(const Variable& x) const { return tanh(x); }

// x: [*] -> [*]
Variable Sigmoid::forward(const Variable& x) const { return sigmoid(x); }

Softmax::Softmax(int64_t dim) : Module("Softmax"), dim(dim) {}

// x: [*] -> [*]
Variable Softmax::forward(const Variable& x) const { return softmax(x, dim); }

std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim); }

}  // namespace glimpse::nn
