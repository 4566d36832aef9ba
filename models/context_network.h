// ContextNetwork: the attention tutorial's toy. Each of a few contexts learns which of the input positions matters.
//
//   a = attention(c)      an Embedding row per context: one weight per input position   [B, n]
//   g = x ⊙ a             the "glimpse": the input seen through the context's attention  [B, n]
//   y = fc(g)             Linear(n, 1)                                                  [B, 1]
//
// Trained on targets y = x[true_position(c)], a learns to be large at the true position and near zero elsewhere, so
// |a| normalised to sum 1 reads as "where context c looks" (attention_weights()).
//
//   models::ContextNetwork net(/*num_contexts=*/5, /*num_inputs=*/8);
//   Variable y = net.forward(x, c);          // x: [B, 8] float, c: [B] int64
//   Tensor where = net.attention_weights();  // [5, 8], rows sum to 1
#pragma once

#include <cstdint>
#include <string>

#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace glimpse::models {

class ContextNetwork : public nn::Module {
 public:
  // Parameters, as the tutorial's PyTorch module: "attention.weight" [num_contexts, num_inputs] ~ N(0, 1), then
  // "fc.weight" [1, num_inputs] and "fc.bias" [1] (Linear's default init), drawn in that order.
  ContextNetwork(int64_t num_contexts = 5, int64_t num_inputs = 8);

  // x: [B, num_inputs], c: [B] int64 in [0, num_contexts) -> [B, 1]
  Variable forward(const Variable& x, const Tensor& c) const;
  // c: [B] int64 -> [B, num_inputs]: the learned attention vector a of each context (raw, may be negative)
  Variable attention(const Tensor& c) const;
  // -> [num_contexts, num_inputs]: |a| of every context normalised to sum 1 (no gradient)
  Tensor attention_weights() const;

  std::string extra_repr() const override;  // "num_contexts=5, num_inputs=8"

  int64_t num_contexts, num_inputs;
  nn::Embedding attention_table;  // registered as "attention" (the tutorial's name)
  nn::Linear fc;
};

}  // namespace glimpse::models
