// ContextNetwork: an Embedding gives each context an attention vector, the input is scaled by it, a Linear reads it.
#include "models/context_network.h"

#include <fmt/format.h>

#include "autograd/grad_mode.h"
#include "autograd/ops_elementwise.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/reduce.h"

namespace glimpse::models {

namespace {
// Runs before the members are built, so bad sizes fail with this model's name instead of Embedding's.
int64_t checked_contexts(int64_t num_contexts, int64_t num_inputs) {
  check(num_contexts > 0 && num_inputs > 0,
        "ContextNetwork: num_contexts ({}) and num_inputs ({}) must both be positive", num_contexts, num_inputs);
  return num_contexts;
}
}  // namespace

ContextNetwork::ContextNetwork(int64_t num_contexts_, int64_t num_inputs_)
    : Module("ContextNetwork"),
      num_contexts(checked_contexts(num_contexts_, num_inputs_)),
      num_inputs(num_inputs_),
      attention_table(num_contexts_, num_inputs_),
      fc(num_inputs_, 1) {
  register_module("attention", attention_table);
  register_module("fc", fc);
}

// c: [B] -> [B, num_inputs]
Variable ContextNetwork::attention(const Tensor& c) const {
  check(c.dim() == 1, "ContextNetwork::attention: contexts c must be 1-D [B] int64, got shape {}", c.shape());
  return attention_table.forward(c);  // Embedding checks the dtype and the range of the ids
}

// x: [B, num_inputs], c: [B] -> [B, 1]
Variable ContextNetwork::forward(const Variable& x, const Tensor& c) const {
  check(x.dim() == 2 && x.size(1) == num_inputs,
        "ContextNetwork::forward: x must be [B, {}] (one row of {} inputs per sample), got shape {}", num_inputs,
        num_inputs, x.shape());
  check(c.dim() == 1 && c.size(0) == x.size(0),
        "ContextNetwork::forward: c must be [B] = [{}] (one context per row of x), got shape {}", x.size(0), c.shape());
  return fc.forward(x * attention(c));
}

// -> [num_contexts, num_inputs]
Tensor ContextNetwork::attention_weights() const {
  const Tensor a = abs(attention_table.weight.data());
  return a / sum(a, {1}, /*keepdim=*/true);
}

std::string ContextNetwork::extra_repr() const {
  return fmt::format("num_contexts={}, num_inputs={}", num_contexts, num_inputs);
}

}  // namespace glimpse::models
