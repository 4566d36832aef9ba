// AdditiveAttention (Bahdanau): an MLP score vᵀ tanh(W1 k + W2 q), masked softmax, weighted sum of the values.
#include "nn/additive_attention.h"

#include <fmt/format.h>

#include "autograd/ops_matmul.h"

namespace glimpse::nn {

namespace {
// Runs before the members are built, so a bad size fails with this layer's name instead of Linear's.
int64_t checked_hidden(int64_t query_dim, int64_t key_dim, int64_t hidden_dim) {
  check(query_dim > 0 && key_dim > 0 && hidden_dim > 0,
        "AdditiveAttention: query_dim ({}), key_dim ({}) and hidden_dim ({}) must all be positive", query_dim, key_dim,
        hidden_dim);
  return hidden_dim;
}
}  // namespace

AdditiveAttention::AdditiveAttention(int64_t query_dim, int64_t key_dim, int64_t hidden_dim)
    : Module("AdditiveAttention"),
      W1(key_dim, checked_hidden(query_dim, key_dim, hidden_dim), /*bias=*/false),
      W2(query_dim, hidden_dim, /*bias=*/false),
      v(hidden_dim, 1, /*bias=*/false),
      query_dim_(query_dim),
      key_dim_(key_dim),
      hidden_dim_(hidden_dim) {
  register_module("W1", W1);
  register_module("W2", W2);
  register_module("v", v);
}

// query: [B, Tq, dq], keys: [B, Tk, dk] -> [B, Tq, Tk]
Variable AdditiveAttention::score(const Variable& query, const Variable& keys) const {
  return additive_score(query, keys, W1.weight, W2.weight, v.weight);  // vᵀ tanh(W1 k + W2 q)
}

// query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv] -> context [B, (Tq,) dv], weights [B, (Tq,) Tk]
AttentionOutput AdditiveAttention::forward(const Variable& query, const Variable& keys, const Variable& values,
                                           const Tensor& mask) const {
  Variable q = check_seq2seq_inputs(query, keys, values, query_dim_, key_dim_, "AdditiveAttention");
  const int64_t B = q.size(0), Tq = q.size(1), Tk = keys.size(1);
  Tensor m = seq2seq_scores_mask(mask, B, Tq, Tk, "AdditiveAttention");
  Variable weights = masked_softmax(score(q, keys), m, false, 1.0, "AdditiveAttention");  // [B, Tq, Tk]
  Variable context = matmul(weights, values);                                              // [B, Tq, dv]
  if (query.dim() == 2) return {context.squeeze(1), weights.squeeze(1)};
  return {context, weights};
}

std::string AdditiveAttention::extra_repr() const {
  return fmt::format("query_dim={}, key_dim={}, hidden_dim={}", query_dim_, key_dim_, hidden_dim_);
}

}  // namespace glimpse::nn
