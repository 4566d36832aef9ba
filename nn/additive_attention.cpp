// AdditiveAttention (Bahdanau): an MLP score vᵀ tanh(W1 k + W2 q), masked softmax, weighted sum of the values.
#include "nn/additive_attention.h"

#include <fmt/format.h>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "nn/additive_score.h"

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

AdditiveAttention::AdditiveAttention(int64_t query_dim, int64_t key_dim, int64_t hidden_dim,
                                     const AdditiveAttentionOptions& options)
    : Module("AdditiveAttention"),
      W1(key_dim, checked_hidden(query_dim, key_dim, hidden_dim), /*bias=*/false),
      W2(query_dim, hidden_dim, /*bias=*/options.query_bias),
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
  if (!W2.bias.defined()) return additive_score(query, keys, W1.weight, W2.weight, v.weight);  // vᵀ tanh(W1 k + W2 q)
  return score_projected(query, project_keys(keys));
}

// keys: [B, Tk, dk] -> [B, Tk, hidden]
Variable AdditiveAttention::project_keys(const Variable& keys) const {
  check(keys.defined() && keys.dim() == 3 && keys.size(2) == key_dim_,
        "AdditiveAttention.project_keys: keys must be [B, Tk, key_dim] = [B, Tk, {}], got {}", key_dim_,
        keys.defined() ? keys.shape() : Shape{});
  return matmul(keys, W1.weight.t());
}

// query: [B, Tq, dq], projected_keys: [B, Tk, hidden] -> [B, Tq, Tk]
Variable AdditiveAttention::score_projected(const Variable& query, const Variable& projected_keys) const {
  Variable wq = W2.forward(query);                                          // [B, Tq, hidden] (+ bias)
  // One fused op (nn/additive_score.h) for the common case; the composed ops below for broadcast leading dims.
  if (wq.dim() == 3 && projected_keys.dim() == 3 && wq.size(0) == projected_keys.size(0)) {
    return additive_score_projected(wq, projected_keys, v.weight);
  }
  Variable e = tanh(wq.unsqueeze(-2) + projected_keys.unsqueeze(-3));      // [B, Tq, Tk, hidden]
  return matmul(e, v.weight.t()).squeeze(-1);                              // [B, Tq, Tk, 1] -> [B, Tq, Tk]
}

// query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv] -> context [B, (Tq,) dv], weights [B, (Tq,) Tk]
AttentionOutput AdditiveAttention::forward(const Variable& query, const Variable& keys, const Variable& values,
                                           const Tensor& mask) const {
  check_seq2seq_inputs(query, keys, values, query_dim_, key_dim_, "AdditiveAttention");
  return forward_projected(query, project_keys(keys), values, mask);
}

// query: [B, (Tq,) dq], projected_keys: [B, Tk, hidden], values: [B, Tk, dv] -> context [B, (Tq,) dv], weights
AttentionOutput AdditiveAttention::forward_projected(const Variable& query, const Variable& projected_keys,
                                                     const Variable& values, const Tensor& mask) const {
  const char* op = "AdditiveAttention.forward_projected (projected_keys from project_keys)";
  Variable q = check_seq2seq_inputs(query, projected_keys, values, query_dim_, hidden_dim_, op);
  const int64_t B = q.size(0), Tq = q.size(1), Tk = projected_keys.size(1);
  Tensor m = seq2seq_scores_mask(mask, B, Tq, Tk, "AdditiveAttention");
  Variable weights = masked_softmax(score_projected(q, projected_keys), m, {.caller = "AdditiveAttention"});
  Variable context = matmul(weights, values);  // [B, Tq, Tk] @ [B, Tk, dv] -> [B, Tq, dv]
  if (query.dim() == 2) return {context.squeeze(1), weights.squeeze(1)};
  return {context, weights};
}

std::string AdditiveAttention::extra_repr() const {
  return fmt::format("query_dim={}, key_dim={}, hidden_dim={}{}", query_dim_, key_dim_, hidden_dim_,
                     W2.bias.defined() ? ", query_bias=True" : "");
}

}  // namespace glimpse::nn
