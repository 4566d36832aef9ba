// models::Transformer's layers: the encoder layer and the decoder layer, in training form (all positions at once,
// through nn::MultiheadAttention) and in the decoder's incremental form (one position, keys and values cached).
#include <functional>

#include "autograd/grad_mode.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "models/transformer.h"
#include "nn/attention.h"
#include "nn/init.h"

namespace glimpse::models {
namespace {

Variable maybe_dropout(const Variable& x, double p, bool training) {
  return training && p > 0.0 ? dropout(x, p, true) : x;
}

// A residual sub-layer: post-norm LN(x + drop(f(x))) (the paper) or pre-norm x + drop(f(LN(x))).
Variable sublayer(const Variable& x, const nn::LayerNorm& norm, bool pre_norm, double p, bool training,
                  const std::function<Variable(const Variable&)>& f) {
  if (pre_norm) return x + maybe_dropout(f(norm.forward(x)), p, training);
  return norm.forward(x + maybe_dropout(f(x), p, training));
}

// x: [B, T, E] -> [B, H, T, d_head]: projection `which` (0 = q, 1 = k, 2 = v) of the layer's in_proj, split in heads.
Variable project_heads(const nn::MultiheadAttention& m, const Variable& x, int64_t which) {
  const int64_t E = m.embed_dim(), B = x.size(0), T = x.size(1);
  Variable y = matmul(x, m.in_proj_weight.narrow(0, which * E, E).transpose(0, 1));
  if (m.in_proj_bias.defined()) y = y + m.in_proj_bias.narrow(0, which * E, E);
  return y.view({B, T, m.num_heads(), m.head_dim()}).transpose(1, 2);
}

// ctx: [B, H, T, d_head] -> [B, T, E] through the output projection
Variable merge_heads(const nn::MultiheadAttention& m, const Variable& ctx) {
  return m.out_proj.forward(ctx.transpose(1, 2).reshape({ctx.size(0), ctx.size(2), m.embed_dim()}));
}

void init_linear(nn::Linear& l) {
  nn::init::xavier_uniform_(l.weight);  // the Annotated Transformer's choice; biases keep Linear's default
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerOptions& o)
    : Module("TransformerEncoderLayer"),
      self_attn(o.d_model, o.heads, {.dropout = o.dropout, .batch_first = true}),
      linear1(o.d_model, o.ff),
      linear2(o.ff, o.d_model),
      norm1({o.d_model}),
      norm2({o.d_model}),
      dropout(o.dropout),
      pre_norm(o.pre_norm) {
  register_module("self_attn", self_attn);
  register_module("linear1", linear1);
  register_module("linear2", linear2);
  register_module("norm1", norm1);
  register_module("norm2", norm2);
  init_linear(linear1);
  init_linear(linear2);
}

// x: [B, S, E] -> [B, S, E]
Variable TransformerEncoderLayer::forward(const Variable& x, const Tensor& padding, Tensor* weights) const {
  Variable h = sublayer(x, norm1, pre_norm, dropout, is_training(), [&](const Variable& v) {
    auto [out, w] = self_attn.forward(v, v, v, {.key_padding_mask = padding, .need_weights = weights != nullptr});
    if (weights != nullptr) *weights = w.data();
    return out;
  });
  return sublayer(h, norm2, pre_norm, dropout, is_training(), [&](const Variable& v) {
    return linear2.forward(maybe_dropout(relu(linear1.forward(v)), dropout, is_training()));
  });
}

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerOptions& o)
    : Module("TransformerDecoderLayer"),
      self_attn(o.d_model, o.heads, {.dropout = o.dropout, .batch_first = true}),
      multihead_attn(o.d_model, o.heads, {.dropout = o.dropout, .batch_first = true}),
      linear1(o.d_model, o.ff),
      linear2(o.ff, o.d_model),
      norm1({o.d_model}),
      norm2({o.d_model}),
      norm3({o.d_model}),
      dropout(o.dropout),
      pre_norm(o.pre_norm) {
  register_module("self_attn", self_attn);
  register_module("multihead_attn", multihead_attn);
  register_module("linear1", linear1);
  register_module("linear2", linear2);
  register_module("norm1", norm1);
  register_module("norm2", norm2);
  register_module("norm3", norm3);
  init_linear(linear1);
  init_linear(linear2);
}

// x: [B, T, E] -> [B, T, E]: ReLU between the two Linears, dropout on the inner activations
Variable TransformerDecoderLayer::feed_forward(const Variable& x, bool training) const {
  return linear2.forward(maybe_dropout(relu(linear1.forward(x)), dropout, training));
}

// y: [B, T, E], memory: [B, S, E] -> [B, T, E]
Variable TransformerDecoderLayer::forward(const Variable& y, const Variable& memory, const Tensor& padding,
                                          Tensor* self_w, Tensor* cross_w) const {
  Variable h = sublayer(y, norm1, pre_norm, dropout, is_training(), [&](const Variable& v) {
    auto [out, w] = self_attn.forward(v, v, v, {.need_weights = self_w != nullptr, .is_causal = true});
    if (self_w != nullptr) *self_w = w.data();
    return out;
  });
  h = sublayer(h, norm2, pre_norm, dropout, is_training(), [&](const Variable& v) {
    auto [out, w] = multihead_attn.forward(v, memory, memory,
                                           {.key_padding_mask = padding, .need_weights = cross_w != nullptr});
    if (cross_w != nullptr) *cross_w = w.data();
    return out;
  });
  return sublayer(h, norm3, pre_norm, dropout, is_training(), [&](const Variable& v) { return feed_forward(v, is_training()); });
}

// memory: [B, S, E] -> k, v: [B, H, S, d_head]
std::pair<Tensor, Tensor> TransformerDecoderLayer::cross_keys_values(const Tensor& memory) const {
  NoGradGuard no_grad;
  const Variable m(memory);
  return {project_heads(multihead_attn, m, 1).data().contiguous(),
          project_heads(multihead_attn, m, 2).data().contiguous()};
}

// y: [B, 1, E] -> [B, 1, E], the same arithmetic as forward() for the position cache.length
Tensor TransformerDecoderLayer::step(const Tensor& y, TransformerCache& cache, size_t layer, Tensor* cross_w) const {
  NoGradGuard no_grad;
  const int64_t past = cache.length;
  Tensor& kc = cache.self_k[layer];
  Tensor& vc = cache.self_v[layer];
  check(past < kc.size(2), "TransformerDecoderLayer.step: the cache holds {} positions and is full; make it with a "
        "larger max_len", kc.size(2));
  Variable h = sublayer(Variable(y), norm1, pre_norm, dropout, false, [&](const Variable& v) {
    Variable q = project_heads(self_attn, v, 0);
    kc.narrow(2, past, 1).copy_(project_heads(self_attn, v, 1).data());
    vc.narrow(2, past, 1).copy_(project_heads(self_attn, v, 2).data());
    // The newest position sees every cached one (0..past): no mask needed.
    auto [ctx, w] = nn::scaled_dot_product_attention(q, Variable(kc.narrow(2, 0, past + 1)),
                                                     Variable(vc.narrow(2, 0, past + 1)), {.training = false});
    return merge_heads(self_attn, ctx);
  });
  h = sublayer(h, norm2, pre_norm, dropout, false, [&](const Variable& v) {
    auto [ctx, w] = nn::scaled_dot_product_attention(project_heads(multihead_attn, v, 0),
                                                     Variable(cache.cross_k[layer]), Variable(cache.cross_v[layer]),
                                                     {.attn_mask = cache.padding, .training = false});
    if (cross_w != nullptr) *cross_w = w.data();
    return merge_heads(multihead_attn, ctx);
  });
  return sublayer(h, norm3, pre_norm, dropout, false, [&](const Variable& v) { return feed_forward(v, false); }).data();
}

}  // namespace glimpse::models
