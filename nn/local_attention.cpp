// LocalAttention: the aligned position p_t, the window mask around it, Luong scores inside it, and (local-p) the
// Gaussian that keeps the position predictor trainable.
#include "nn/local_attention.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"

namespace glimpse::nn {

namespace {

constexpr const char* kOp = "LocalAttention";

// Checked before the members are built, so a bad option fails with this layer's name.
LuongAttentionOptions checked_align_options(int64_t query_dim, int64_t key_dim, const LocalAttentionOptions& o) {
  check(o.mode == "local-m" || o.mode == "local-p", "LocalAttention: unknown mode \"{}\"; choose \"local-m\" "
        "(p_t = t) or \"local-p\" (p_t predicted)", o.mode);
  check(o.window >= (o.mode == "local-p" ? 1 : 0), "LocalAttention: window D = {} is too small; {} (the window "
        "is 2D + 1 positions)", o.window, o.mode == "local-p" ? "local-p needs D >= 1 since its Gaussian has "
        "σ = D / 2" : "D must be >= 0");
  LuongAttentionOptions align{.score = o.score, .hidden_dim = o.hidden_dim};
  check_luong_options(query_dim, key_dim, align, kOp);
  return align;
}

}  // namespace

LocalAttention::LocalAttention(int64_t query_dim, int64_t key_dim, const LocalAttentionOptions& options)
    : Module("LocalAttention"),
      align(query_dim, key_dim, checked_align_options(query_dim, key_dim, options)),
      query_dim_(query_dim),
      key_dim_(key_dim),
      window_(options.window),
      predictive_(options.mode == "local-p") {
  register_module("align", align);
  if (predictive_) {
    const int64_t hidden = options.hidden_dim > 0 ? options.hidden_dim : query_dim;
    W_p = std::make_unique<Linear>(query_dim, hidden, /*bias=*/false);
    v_p = std::make_unique<Linear>(hidden, 1, /*bias=*/false);
    register_module("W_p", *W_p);
    register_module("v_p", *v_p);
  }
}

// query: [B, dq] or [B, Tq, dq], keys: [B, S, dk], values: [B, S, dv]
//   -> context [B, (Tq,) dv], weights [B, (Tq,) S], positions [B, (Tq)]
LocalAttentionOutput LocalAttention::forward(const Variable& query, const Variable& keys, const Variable& values,
                                             const Tensor& key_padding_mask, int64_t first_position) const {
  Variable q = check_seq2seq_inputs(query, keys, values, query_dim_, key_dim_, kOp);
  const int64_t B = q.size(0), Tq = q.size(1), S = keys.size(1);
  const DType dt = q.dtype();
  check(first_position >= 0, "{}: first_position must be >= 0, got {}", kOp, first_position);

  // Each sentence's own length S_b (its padding is at the end).
  std::vector<int64_t> length(static_cast<size_t>(B), S);
  std::vector<int64_t> pad;
  if (key_padding_mask.defined()) {
    check(key_padding_mask.dtype() == kInt64 && key_padding_mask.shape() == Shape({B, S}),
          "{}: key_padding_mask must be int64 [B, S] = [{}, {}] (1 = padding, e.g. padding_mask_from_lengths), got "
          "{} ({})", kOp, B, S, key_padding_mask.shape(), dtype_name(key_padding_mask.dtype()));
    pad = key_padding_mask.to_vector<int64_t>();
    for (int64_t b = 0; b < B; ++b) {
      length[b] = S - std::count_if(pad.begin() + b * S, pad.begin() + (b + 1) * S, [](int64_t x) { return x != 0; });
    }
  }

  // ---- the aligned position p_t: [B, Tq, 1]
  Variable p;
  if (predictive_) {
    // p_t = (S_b - 1) · sigmoid(v_pᵀ tanh(W_p h_t)), differentiable in W_p and v_p.
    std::vector<double> last(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) last[b] = static_cast<double>(std::max<int64_t>(length[b] - 1, 0));
    p = sigmoid(v_p->forward(tanh(W_p->forward(q)))) * Variable(tensor(last, {B, 1, 1}, dt));
  } else {
    // p_t = t, clamped to the last source position (a target longer than its source keeps looking at the end).
    std::vector<double> pos(static_cast<size_t>(B * Tq));
    const int64_t start = std::min(first_position, S);  // positions clamp below S anyway; first_position + t could overflow
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t t = 0; t < Tq; ++t) {
        pos[b * Tq + t] = static_cast<double>(std::min(start + t, std::max<int64_t>(length[b] - 1, 0)));
      }
    }
    p = Variable(tensor(pos, {B, Tq, 1}, dt));
  }

  // ---- the window mask [B, Tq, S]: 1 outside [c - D, c + D] and on padding
  Tensor window = zeros({B, Tq, S}, kInt64);
  {
    const std::vector<double> centre = p.data().tolist();
    int64_t* w = window.data<int64_t>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t t = 0; t < Tq; ++t) {
        const double c = std::floor(centre[b * Tq + t] + 0.5);  // round(p_t); exact already for local-m
        for (int64_t s = 0; s < S; ++s) {
          const bool outside = std::abs(static_cast<double>(s) - c) > static_cast<double>(window_);
          const bool padded = !pad.empty() && pad[b * S + s] != 0;
          w[(b * Tq + t) * S + s] = (outside || padded) ? 1 : 0;
        }
      }
    }
  }

  // ---- weights: Luong scores, softmax inside the window, (local-p) times the Gaussian around p_t
  Variable weights = masked_softmax(align.score(q, keys), window, {.caller = kOp});  // [B, Tq, S]
  if (predictive_) {
    const double sigma = static_cast<double>(window_) / 2.0;
    Variable s_pos(arange(0.0, static_cast<double>(S), 1.0, dt));  // [S]: 0, 1, ..., S - 1
    Variable d = s_pos - p;                                          // [B, Tq, 1] against [S] -> [B, Tq, S]
    weights = weights * exp(square(d) * (-1.0 / (2.0 * sigma * sigma)));
  }
  Variable context = matmul(weights, values);  // [B, Tq, dv]
  Variable positions = p.squeeze(-1);         // [B, Tq]
  if (query.dim() == 2) return {context.squeeze(1), weights.squeeze(1), positions.squeeze(1)};
  return {context, weights, positions};
}

std::string LocalAttention::extra_repr() const {
  return fmt::format("query_dim={}, key_dim={}, mode={}, window={}, score={}", query_dim_, key_dim_,
                     predictive_ ? "local-p" : "local-m", window_, align.score_name());
}

}  // namespace glimpse::nn
