// LuongAttention: dot / general / concat scores, masked softmax, weighted sum of the values.
#include "nn/luong_attention.h"

#include <fmt/format.h>

#include "autograd/ops_matmul.h"

namespace glimpse::nn {

void check_luong_options(int64_t query_dim, int64_t key_dim, const LuongAttentionOptions& options, const char* layer) {
  check(query_dim > 0 && key_dim > 0, "{}: query_dim ({}) and key_dim ({}) must be positive", layer, query_dim,
        key_dim);
  check(options.hidden_dim >= 0, "{}: hidden_dim must be >= 0 (0 = query_dim), got {}", layer, options.hidden_dim);
  check(options.score == "dot" || options.score == "general" || options.score == "concat",
        "{}: unknown score \"{}\"; choose \"dot\", \"general\" or \"concat\"", layer, options.score);
  check(options.score != "dot" || query_dim == key_dim,
        "{}: the \"dot\" score needs query_dim == key_dim, got {} and {}; use score \"general\" (a learned W) for "
        "different sizes", layer, query_dim, key_dim);
}

LuongAttention::LuongAttention(int64_t query_dim, int64_t key_dim, const LuongAttentionOptions& options)
    : Module("LuongAttention"), query_dim_(query_dim), key_dim_(key_dim), score_(options.score) {
  check_luong_options(query_dim, key_dim, options, "LuongAttention");
  if (score_ == "general") {
    W = std::make_unique<Linear>(key_dim, query_dim, /*bias=*/false);  // weight [dq, dk]: qᵀ W k
    register_module("W", *W);
  } else if (score_ == "concat") {
    const int64_t hidden = options.hidden_dim > 0 ? options.hidden_dim : query_dim;
    W = std::make_unique<Linear>(query_dim + key_dim, hidden, /*bias=*/false);  // weight [H, dq + dk]
    v = std::make_unique<Linear>(hidden, 1, /*bias=*/false);                   // weight [1, H]
    register_module("W", *W);
    register_module("v", *v);
  }
}

// query: [B, Tq, dq], keys: [B, Tk, dk] -> [B, Tq, Tk]
Variable LuongAttention::score(const Variable& query, const Variable& keys) const {
  if (score_ == "dot") return dot_score(query, keys);                      // qᵀ k
  if (score_ == "general") return general_score(query, keys, W->weight);   // qᵀ W k
  return concat_score(query, keys, W->weight, v->weight);                  // vᵀ tanh(W [q; k])
}

// query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv] -> context [B, (Tq,) dv], weights [B, (Tq,) Tk]
AttentionOutput LuongAttention::forward(const Variable& query, const Variable& keys, const Variable& values,
                                        const Tensor& mask) const {
  Variable q = check_seq2seq_inputs(query, keys, values, query_dim_, key_dim_, "LuongAttention");
  const int64_t B = q.size(0), Tq = q.size(1), Tk = keys.size(1);
  Tensor m = seq2seq_scores_mask(mask, B, Tq, Tk, "LuongAttention");
  Variable weights = masked_softmax(score(q, keys), m, {.caller = "LuongAttention"});  // [B, Tq, Tk]
  Variable context = matmul(weights, values);                                           // [B, Tq, dv]
  if (query.dim() == 2) return {context.squeeze(1), weights.squeeze(1)};
  return {context, weights};
}

std::string LuongAttention::extra_repr() const {
  return fmt::format("query_dim={}, key_dim={}, score={}", query_dim_, key_dim_, score_);
}

}  // namespace glimpse::nn
