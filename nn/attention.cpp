// Attention, the functional half: mask helpers, the score functions and scaled_dot_product_attention. See
// attention.h for the conventions; the masked softmax they share is autograd/ops_masked_softmax.h.
#include "nn/attention.h"

#include <cmath>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "tensor/flash_attention.h"
#include "tensor/masked_softmax.h"

namespace glimpse::nn {

// ---------------------------------------------------------------------------------------------------------------
// Mask helpers

Tensor causal_mask(int64_t T) { return causal_mask(T, T); }

// [Tq, Tk]: 1 where j > i
Tensor causal_mask(int64_t Tq, int64_t Tk) {
  check(Tq >= 0 && Tk >= 0, "causal_mask: sizes must be >= 0, got Tq = {}, Tk = {}", Tq, Tk);
  Tensor m = zeros({Tq, Tk}, kInt64);
  int64_t* p = m.data<int64_t>();
  for (int64_t i = 0; i < Tq; ++i) {
    for (int64_t j = i + 1; j < Tk; ++j) p[i * Tk + j] = 1;
  }
  return m;
}

// lengths: [B] -> [B, T]: 1 where t >= lengths[b]
Tensor padding_mask_from_lengths(const Tensor& lengths, int64_t T) {
  check_defined(lengths, "padding_mask_from_lengths");
  check(lengths.dtype() == kInt64 && lengths.dim() == 1,
        "padding_mask_from_lengths: lengths must be a 1-d int64 tensor [B], got shape {} ({}); build it with "
        "tensor(std::vector<int64_t>{{...}})",
        lengths.shape(), dtype_name(lengths.dtype()));
  return padding_mask_from_lengths(lengths.to_vector<int64_t>(), T);
}

Tensor padding_mask_from_lengths(const std::vector<int64_t>& lengths, int64_t T) {
  check(T >= 0, "padding_mask_from_lengths: T must be >= 0, got {}", T);
  const int64_t B = static_cast<int64_t>(lengths.size());
  Tensor m = zeros({B, T}, kInt64);
  int64_t* p = m.data<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = lengths[static_cast<size_t>(b)];
    check(len >= 0 && len <= T, "padding_mask_from_lengths: lengths[{}] = {} is outside [0, T = {}]; T must be the "
          "padded length (at least the longest sequence)", b, len, T);
    for (int64_t t = len; t < T; ++t) p[b * T + t] = 1;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// Score functions

namespace {

// The checks every score function shares: q [*, Tq, dq], k [*, Tk, dk] with at least 2 dims and one float dtype.
void check_query_key(const Variable& q, const Variable& k, const char* op) {
  check(q.defined() && k.defined(), "{}: query or key is undefined", op);
  check(q.dim() >= 2 && k.dim() >= 2, "{}: query {} and key {} must be [*, Tq, dq] and [*, Tk, dk] (at least 2-d); "
        "for a single query use q.unsqueeze(-2)", op, q.shape(), k.shape());
  check(is_floating(q.dtype()) && q.dtype() == k.dtype(), "{}: query ({}) and key ({}) must share one float dtype",
        op, dtype_name(q.dtype()), dtype_name(k.dtype()));
}

// A weight must be a 2-d [rows, cols] matrix of the query's dtype.
void check_weight(const Variable& W, int64_t rows, int64_t cols, const char* name, const char* op) {
  check(W.defined(), "{}: weight {} is undefined", op, name);
  check(W.dim() == 2 && W.size(0) == rows && W.size(1) == cols,
        "{}: weight {} has shape {}, expected [{}, {}] for these query/key sizes", op, name, W.shape(), rows, cols);
}

}  // namespace

// q: [*, Tq, d], k: [*, Tk, d] -> [*, Tq, Tk]
Variable dot_score(const Variable& q, const Variable& k) {
  check_query_key(q, k, "dot_score");
  check(q.size(-1) == k.size(-1), "dot_score: query {} and key {} have different feature sizes ({} vs {}); dot "
        "attention needs equal sizes, use general_score (a learned W) otherwise", q.shape(), k.shape(), q.size(-1),
        k.size(-1));
  return matmul(q, k.transpose(-2, -1));  // a transposed view: BLAS reads it with the transpose flag
}

// q: [*, Tq, dq], k: [*, Tk, dk], W: [dq, dk] -> [*, Tq, Tk]
Variable general_score(const Variable& q, const Variable& k, const Variable& W) {
  check_query_key(q, k, "general_score");
  check_weight(W, q.size(-1), k.size(-1), "W", "general_score");
  // (q W) kᵀ rather than q (W kᵀ): with one decoder query per step (Tq = 1) the first product is the small one.
  return matmul(matmul(q, W), k.transpose(-2, -1));
}

// q: [*, Tq, dq], k: [*, Tk, dk], W1: [H, dk], W2: [H, dq], v: [1, H] -> [*, Tq, Tk]
Variable additive_score(const Variable& q, const Variable& k, const Variable& W1, const Variable& W2,
                        const Variable& v) {
  check_query_key(q, k, "additive_score");
  check(v.defined() && v.dim() == 2 && v.size(0) == 1, "additive_score: v must be [1, H], got {}",
        v.defined() ? v.shape() : Shape{});
  const int64_t H = v.size(1);
  check_weight(W1, H, k.size(-1), "W1", "additive_score");
  check_weight(W2, H, q.size(-1), "W2", "additive_score");
  Variable wk = matmul(k, W1.t());                                   // [*, Tk, H]
  Variable wq = matmul(q, W2.t());                                   // [*, Tq, H]
  Variable e = tanh(wq.unsqueeze(-2) + wk.unsqueeze(-3));            // [*, Tq, 1, H] + [*, 1, Tk, H] -> [*, Tq, Tk, H]
  return matmul(e, v.t()).squeeze(-1);                               // [*, Tq, Tk, 1] -> [*, Tq, Tk]
}

// q: [*, Tq, dq], k: [*, Tk, dk], W: [H, dq + dk], v: [1, H] -> [*, Tq, Tk]
Variable concat_score(const Variable& q, const Variable& k, const Variable& W, const Variable& v) {
  check_query_key(q, k, "concat_score");
  const int64_t dq = q.size(-1), dk = k.size(-1);
  check(W.defined() && W.dim() == 2 && W.size(1) == dq + dk,
        "concat_score: W must be [H, dq + dk] = [H, {}] for query {} and key {}, got {}", dq + dk, q.shape(),
        k.shape(), W.defined() ? W.shape() : Shape{});
  // W [q; k] = W[:, :dq] q + W[:, dq:] k: column views of W, no concatenation of every (query, key) pair.
  return additive_score(q, k, W.narrow(1, dq, dk), W.narrow(1, 0, dq), v);
}

// ---------------------------------------------------------------------------------------------------------------
// Scaled dot-product attention

namespace {

// Flash attention on the tape. q: [*, Tq, d], k: [*, Tk, d], v: [*, Tk, dv] -> [*, Tq, dv]
// The kernels want one leading shape: the inputs are broadcast to it as views (no copy), and the kernels read them
// at their strides; the engine sums the gradients back over any broadcast dims. The backward keeps q, k, v as the
// caller gave them (usually views of a tensor the tape holds anyway: a GPT's q, k, v are column slices of one qkv
// projection) plus the output and the row log-sum-exps, and recomputes the weights tile by tile.
Variable flash_attention(const Variable& q, const Variable& k, const Variable& v, const Tensor& mask, bool causal,
                         double scale, const char* op) {
  Shape lead = broadcast_shapes(broadcast_shapes(Shape(q.shape().begin(), q.shape().end() - 2),
                                                 Shape(k.shape().begin(), k.shape().end() - 2), op),
                                Shape(v.shape().begin(), v.shape().end() - 2), op);
  auto with_lead = [lead](int64_t a, int64_t b) {
    Shape s = lead;
    s.push_back(a);
    s.push_back(b);
    return s;
  };
  const int64_t Tq = q.size(-2), Tk = k.size(-2);
  const Shape qs = with_lead(Tq, q.size(-1)), ks = with_lead(Tk, k.size(-1)), vs = with_lead(Tk, v.size(-1));
  const Tensor m = expand_attention_mask(mask, with_lead(Tq, Tk), q.dtype(), op);  // a view: nothing is copied
  FlashAttentionForward f = flash_attention_forward(q.data().expand(qs), k.data().expand(ks), v.data().expand(vs), m,
                                                    causal, scale);
  return record("flash_attention", f.out, {q, k, v}, saved(q.data(), k.data(), v.data(), m),
                [qd = q.data(), kd = k.data(), vd = v.data(), m, causal, scale, f, qs, ks, vs](const Tensor& g) -> Grads {
    FlashAttentionBackward b = flash_attention_backward(g, qd.expand(qs), kd.expand(ks), vd.expand(vs), m, causal,
                                                        scale, f.out, f.lse);
    return {b.dq, b.dk, b.dv};  // the engine sums over broadcast dims
  });
}

}  // namespace

// q: [*, Tq, d], k: [*, Tk, d], v: [*, Tk, dv] -> context [*, Tq, dv], weights [*, Tq, Tk]
AttentionOutput scaled_dot_product_attention(const Variable& q, const Variable& k, const Variable& v,
                                             const SdpaOptions& options) {
  const char* op = "scaled_dot_product_attention";
  check(q.defined() && k.defined() && v.defined(), "{}: query, key or value is undefined", op);
  check(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2,
        "{}: query {}, key {} and value {} must be [*, Tq, d], [*, Tk, d], [*, Tk, dv] (at least 2-d)", op,
        q.shape(), k.shape(), v.shape());
  check(is_floating(q.dtype()) && q.dtype() == k.dtype() && k.dtype() == v.dtype(),
        "{}: query ({}), key ({}) and value ({}) must share one float dtype", op, dtype_name(q.dtype()),
        dtype_name(k.dtype()), dtype_name(v.dtype()));
  check(q.size(-1) == k.size(-1), "{}: query {} and key {} have different feature sizes ({} vs {}); project them to "
        "one size first", op, q.shape(), k.shape(), q.size(-1), k.size(-1));
  check(k.size(-2) == v.size(-2), "{}: key {} and value {} have different lengths ({} vs {}); every key needs one "
        "value", op, k.shape(), v.shape(), k.size(-2), v.size(-2));
  // The leading dims must broadcast (checked here so the error names this op, not matmul).
  Shape qb(q.shape().begin(), q.shape().end() - 2), kb(k.shape().begin(), k.shape().end() - 2),
      vb(v.shape().begin(), v.shape().end() - 2);
  broadcast_shapes(broadcast_shapes(qb, kb, op), vb, op);
  check(options.dropout_p >= 0.0 && options.dropout_p <= 1.0, "{}: dropout_p must be in [0, 1], got {}", op,
        options.dropout_p);

  const int64_t d = q.size(-1);
  const double scale = options.scale ? *options.scale : (d > 0 ? 1.0 / std::sqrt(static_cast<double>(d)) : 1.0);
  if (!options.need_weights && !(options.training && options.dropout_p > 0.0)) {
    return {flash_attention(q, k, v, options.attn_mask, options.is_causal, scale, op), Variable()};
  }
  Variable scores = matmul(q, k.transpose(-2, -1));  // [*, Tq, Tk], kᵀ is a view
  Variable weights =
      masked_softmax(scores, options.attn_mask, {.causal = options.is_causal, .scale = scale, .caller = op});
  Variable used = weights;
  if (options.training && options.dropout_p > 0.0) {
    used = dropout(weights, options.dropout_p, true, options.generator ? *options.generator : default_generator());
  }
  return {matmul(used, v), weights};
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers for the sequence-to-sequence layers

// query: [B, dq] or [B, Tq, dq], keys: [B, Tk, dk], values: [B, Tk, dv] -> query as [B, Tq, dq]
Variable check_seq2seq_inputs(const Variable& query, const Variable& keys, const Variable& values, int64_t query_dim,
                              int64_t key_dim, const char* layer) {
  check(query.defined() && keys.defined() && values.defined(), "{}: query, keys or values is undefined", layer);
  check(query.dim() == 2 || query.dim() == 3, "{}: query must be [B, dq] (one step) or [B, Tq, dq], got {}", layer,
        query.shape());
  check(keys.dim() == 3 && values.dim() == 3, "{}: keys and values must be [B, Tk, dk] and [B, Tk, dv], got {} and "
        "{}", layer, keys.shape(), values.shape());
  check(is_floating(query.dtype()) && query.dtype() == keys.dtype() && keys.dtype() == values.dtype(),
        "{}: query ({}), keys ({}) and values ({}) must share one float dtype", layer, dtype_name(query.dtype()),
        dtype_name(keys.dtype()), dtype_name(values.dtype()));
  check(query.size(-1) == query_dim, "{}: query {} has {} features but the layer was built with query_dim = {}; "
        "build it with query_dim = {} or project the query first", layer, query.shape(), query.size(-1), query_dim,
        query.size(-1));
  check(keys.size(-1) == key_dim, "{}: keys {} have {} features but the layer was built with key_dim = {}; build it "
        "with key_dim = {} or project the keys first", layer, keys.shape(), keys.size(-1), key_dim, keys.size(-1));
  check(query.size(0) == keys.size(0) && keys.size(0) == values.size(0),
        "{}: batch sizes differ: query {}, keys {}, values {} (dim 0 is the batch in all three)", layer, query.shape(),
        keys.shape(), values.shape());
  check(keys.size(1) == values.size(1), "{}: keys {} and values {} have different lengths ({} vs {}); every key needs "
        "one value", layer, keys.shape(), values.shape(), keys.size(1), values.size(1));
  return query.dim() == 2 ? query.unsqueeze(1) : query;
}

// mask: [B, Tk] -> [B, 1, Tk]; anything else: checked to broadcast to [B, Tq, Tk]
Tensor seq2seq_scores_mask(const Tensor& mask, int64_t B, int64_t Tq, int64_t Tk, const char* layer) {
  if (!mask.defined()) return mask;
  if (mask.dim() == 2) {
    check(mask.size(0) == B && mask.size(1) == Tk,
          "{}: a 2-d mask is a key padding mask [B, Tk] = [{}, {}], got {}; for a mask per query pass [1, Tq, Tk] or "
          "[B, Tq, Tk]", layer, B, Tk, mask.shape());
    return mask.unsqueeze(1);
  }
  const Shape scores{B, Tq, Tk};
  bool fits = mask.dim() <= 3;
  for (int i = 0; fits && i < mask.dim(); ++i) {
    const int64_t ms = mask.shape()[mask.dim() - 1 - i];
    fits = ms == 1 || ms == scores[2 - i];
  }
  check(fits, "{}: mask of shape {} fits neither [B, Tk] = [{}, {}] (padded keys) nor the scores [B, Tq, Tk] = {}; "
        "use padding_mask_from_lengths for padding", layer, mask.shape(), B, Tk, scores);
  return mask;
}

}  // namespace glimpse::nn
