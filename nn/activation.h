// Activation functions as modules (torch.nn.ReLU, GELU, Tanh, Sigmoid, Softmax), for use in a Sequential. Each is a
// parameter-free wrapper around the differentiable function of the same name (autograd/ops_elementwise.h,
// autograd/ops_reduce.h); call those directly where a module is not needed.
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace glimpse::nn {

// max(x, 0)
class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Variable forward(const Variable& x) const;  // x: [*] -> [*]
};

// x Φ(x), with the exact erf (approximate = "none") or PyTorch's tanh approximation (approximate = "tanh").
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Variable forward(const Variable& x) const;  // x: [*] -> [*]
  std::string extra_repr() const override;    // "approximate='none'"
  std::string approximate;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Variable forward(const Variable& x) const;  // x: [*] -> [*]
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Variable forward(const Variable& x) const;  // x: [*] -> [*]
};

// exp(x) / sum(exp(x)) along `dim` (which, unlike old PyTorch, must be given: guessing it hides bugs).
class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim);
  Variable forward(const Variable& x) const;  // x: [*] -> [*], each slice along dim sums to 1
  std::string extra_repr() const override;    // "dim=1"
  int64_t dim;
};

}  // namespace glimpse::nn
