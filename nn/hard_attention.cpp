// HardAttention: Luong scores, a masked softmax, then one key per query chosen by argmax or by sampling.
#include "nn/hard_attention.h"

#include <fmt/format.h>

#include <vector>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "tensor/reduce.h"

namespace glimpse::nn {

namespace {

constexpr const char* kOp = "HardAttention";

// Checked before the members are built, so a bad option fails with this layer's name.
LuongAttentionOptions checked_align_options(int64_t query_dim, int64_t key_dim, const HardAttentionOptions& o) {
  LuongAttentionOptions align{.score = o.score, .hidden_dim = o.hidden_dim};
  check_luong_options(query_dim, key_dim, align, kOp);
  return align;
}

}  // namespace

HardAttention::HardAttention(int64_t query_dim, int64_t key_dim, const HardAttentionOptions& options)
    : Module("HardAttention"),
      align(query_dim, key_dim, checked_align_options(query_dim, key_dim, options)),
      query_dim_(query_dim),
      key_dim_(key_dim),
      sample_(options.sample),
      straight_through_(options.straight_through) {
  register_module("align", align);
}

// query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv]
//   -> context [B, (Tq,) dv], weights [B, (Tq,) Tk], indices [B, (Tq)], log_prob [B, (Tq)]
HardAttentionOutput HardAttention::forward(const Variable& query, const Variable& keys, const Variable& values,
                                           const Tensor& mask, Generator& gen) const {
  Variable q = check_seq2seq_inputs(query, keys, values, query_dim_, key_dim_, kOp);
  const int64_t B = q.size(0), Tq = q.size(1), Tk = keys.size(1), rows = B * Tq;
  Tensor m = seq2seq_scores_mask(mask, B, Tq, Tk, kOp);
  Variable probs = masked_softmax(align.score(q, keys), m, {.caller = kOp});  // [B, Tq, Tk]

  // ---- choose j* per query, on plain numbers (this is where the gradient stops)
  std::vector<int64_t> chosen(static_cast<size_t>(rows), -1);
  std::vector<bool> empty_row(static_cast<size_t>(rows), true);
  if (rows > 0 && Tk > 0) {
    auto [peak, best] = max(probs.data().reshape({rows, Tk}), 1);  // the arg-max, first of ties (as torch)
    const std::vector<double> peaks = peak.tolist();
    chosen = best.to_vector<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      empty_row[r] = !(peaks[r] > 0.0);  // a fully masked query has all-zero weights: nothing to choose
      if (empty_row[r]) chosen[r] = -1;
    }
  }
  if (sample_ && is_training() && rows > 0 && Tk > 0) {
    // multinomial needs a positive total per row: fully masked rows draw from a dummy uniform row, then are reset.
    Tensor weights_for_draw = probs.data().reshape({rows, Tk}).clone();
    for (int64_t r = 0; r < rows; ++r) {
      if (empty_row[r]) weights_for_draw.select(0, r).fill_(1.0);
    }
    const std::vector<int64_t> drawn = multinomial(weights_for_draw, 1, false, gen).to_vector<int64_t>();
    for (int64_t r = 0; r < rows; ++r) chosen[r] = empty_row[r] ? -1 : drawn[r];
  }

  // ---- one-hot weights, the chosen values, and log probs[j*]
  Tensor one_hot = zeros({B, Tq, Tk}, q.dtype());
  Tensor empty_rows = zeros({B, Tq}, q.dtype());  // 1 for a fully masked query (its log_prob is log 1 = 0)
  dispatch_float(q.dtype(), kOp, [&]<class T>() {
    T* oh = one_hot.data<T>();
    T* er = empty_rows.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      if (chosen[r] >= 0) oh[r * Tk + chosen[r]] = T(1);
      else er[r] = T(1);
    }
  });
  Variable weights(one_hot);  // a constant: no gradient to the scores
  if (straight_through_) {
    // Forward: exactly the one-hot. Backward: the identity into the soft probs, as if weights were probs.
    weights = record("straight_through", one_hot, {probs}, [](const Tensor& g) -> Grads { return {g}; });
  }
  Variable context = matmul(weights, values);                                        // [B, Tq, dv]
  Variable log_prob = log(sum(probs * Variable(one_hot), {-1}) + Variable(empty_rows));  // [B, Tq]
  Tensor indices = tensor(chosen, {B, Tq});
  if (query.dim() == 2) {
    return {context.squeeze(1), weights.squeeze(1), indices.squeeze(1), log_prob.squeeze(1)};
  }
  return {context, weights, indices, log_prob};
}

std::string HardAttention::extra_repr() const {
  return fmt::format("query_dim={}, key_dim={}, score={}{}{}", query_dim_, key_dim_, align.score_name(),
                     sample_ ? ", sample=True" : "", straight_through_ ? ", straight_through=True" : "");
}

}  // namespace glimpse::nn
