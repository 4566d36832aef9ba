// MultiheadAttention: in-projection, split into heads, scaled dot-product attention per head, merge, out-projection.
// The heads are never copied apart: a [B, T, E] projection is reshaped to [B, T, H, head_dim] and permuted to
// [B, H, T, head_dim] as a view, and the batched GEMMs of scaled_dot_product_attention read those strides directly.
#include "nn/multihead_attention.h"

#include <fmt/format.h>

#include <limits>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "nn/init.h"
#include "tensor/elementwise.h"

namespace glimpse::nn {

namespace {

constexpr const char* kOp = "MultiheadAttention";

// Runs before out_proj is built, so bad sizes fail with this layer's name.
int64_t checked_embed_dim(int64_t embed_dim, int64_t num_heads) {
  check(embed_dim > 0 && num_heads > 0, "MultiheadAttention: embed_dim ({}) and num_heads ({}) must be positive",
        embed_dim, num_heads);
  check(embed_dim % num_heads == 0,
        "MultiheadAttention: embed_dim {} is not divisible by num_heads {}; each head gets embed_dim / num_heads "
        "features, so choose num_heads among the divisors of {} (or change embed_dim)",
        embed_dim, num_heads, embed_dim);
  return embed_dim;
}

// x: [*, in], W: [out, in], b: [out] (or undefined) -> [*, out]
Variable project(const Variable& x, const Variable& W, const Variable& b) {
  Variable y = matmul(x, W.t());  // Wᵀ is a view: BLAS reads it with the transpose flag
  return b.defined() ? y + b : y;
}

// An int64 mask (1 = masked) as an additive one (-inf = masked) of dtype `dtype`; a float mask converted to it.
Tensor additive(const Tensor& mask, DType dtype) {
  if (mask.dtype() != kInt64) return mask.to(dtype);
  return where(mask, scalar_tensor(-std::numeric_limits<double>::infinity(), dtype), scalar_tensor(0.0, dtype));
}

// One mask from the two PyTorch takes: boolean OR when both are int64, else the sum of their additive forms.
Tensor merge_masks(const Tensor& a, const Tensor& b, DType dtype) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  if (a.dtype() == kInt64 && b.dtype() == kInt64) return maximum(a, b);
  return add(additive(a, dtype), additive(b, dtype));
}

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, const MultiheadAttentionOptions& options)
    : Module("MultiheadAttention"),
      out_proj(checked_embed_dim(embed_dim, num_heads), embed_dim, options.bias),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      head_dim_(embed_dim / num_heads),
      kdim_(options.kdim > 0 ? options.kdim : embed_dim),
      vdim_(options.vdim > 0 ? options.vdim : embed_dim),
      dropout_(options.dropout),
      bias_(options.bias),
      batch_first_(options.batch_first),
      same_dims_(kdim_ == embed_dim && vdim_ == embed_dim) {
  check(options.kdim >= 0 && options.vdim >= 0, "MultiheadAttention: kdim ({}) and vdim ({}) must be >= 0 (0 = "
        "embed_dim)", options.kdim, options.vdim);
  check(options.dropout >= 0.0 && options.dropout <= 1.0, "MultiheadAttention: dropout must be in [0, 1], got {}",
        options.dropout);
  const int64_t E = embed_dim;
  if (same_dims_) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * E, E}));
    init::xavier_uniform_(in_proj_weight);  // over the whole [3E, E], as PyTorch: fan_in E, fan_out 3E
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({E, E}));
    k_proj_weight = register_parameter("k_proj_weight", empty({E, kdim_}));
    v_proj_weight = register_parameter("v_proj_weight", empty({E, vdim_}));
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (bias_) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * E}));
  register_module("out_proj", out_proj);
  if (bias_) init::zeros_(out_proj.bias);
}

// query: [B, Tq, E] / [Tq, B, E] / [Tq, E], key: [.., Tk, kdim], value: [.., Tk, vdim]
//   -> output like query, weights [B, H, Tq, Tk] (or [B, Tq, Tk] averaged; no B when unbatched)
AttentionOutput MultiheadAttention::forward(const Variable& query, const Variable& key, const Variable& value,
                                            const MultiheadAttentionForwardOptions& options) const {
  check(query.defined() && key.defined() && value.defined(), "{}: query, key or value is undefined", kOp);
  const bool batched = query.dim() == 3;
  const char* layout =
      batch_first_ ? "[B, T, features] (batch_first = true)" : "[T, B, features] (batch_first = false)";
  check((query.dim() == 2 || query.dim() == 3) && key.dim() == query.dim() && value.dim() == query.dim(),
        "{}: query {}, key {} and value {} must all be {} or all unbatched [T, features]", kOp, query.shape(),
        key.shape(), value.shape(), layout);
  check(is_floating(query.dtype()) && query.dtype() == key.dtype() && key.dtype() == value.dtype(),
        "{}: query ({}), key ({}) and value ({}) must share one float dtype", kOp, dtype_name(query.dtype()),
        dtype_name(key.dtype()), dtype_name(value.dtype()));
  check(query.size(-1) == embed_dim_, "{}: query {} has {} features but embed_dim is {}; the last dim of the query "
        "must be embed_dim", kOp, query.shape(), query.size(-1), embed_dim_);
  check(key.size(-1) == kdim_ && value.size(-1) == vdim_,
        "{}: key {} and value {} must have kdim = {} and vdim = {} features; build the layer with {{.kdim = {}, .vdim "
        "= {}}} for these inputs", kOp, key.shape(), value.shape(), kdim_, vdim_, key.size(-1), value.size(-1));

  // ---- on entry, one layout for everything below: [B, T, features]. An unbatched [T, f] input gains a batch dim of
  //      1; a [T, B, f] input (batch_first = false) is transposed, as a view.
  auto to_batch_first = [&](const Variable& x) {
    if (!batched) return x.unsqueeze(0);
    return batch_first_ ? x : x.transpose(0, 1);
  };
  const Variable q_in = to_batch_first(query), k_in = to_batch_first(key), v_in = to_batch_first(value);
  const int64_t B = q_in.size(0), Tq = q_in.size(1), Tk = k_in.size(1);
  check(k_in.size(0) == B && v_in.size(0) == B, "{}: batch sizes differ: query {}, key {}, value {} (inputs are {})",
        kOp, query.shape(), key.shape(), value.shape(), layout);
  check(v_in.size(1) == Tk, "{}: key {} and value {} have different lengths ({} vs {}); every key needs one value", kOp,
        key.shape(), value.shape(), Tk, v_in.size(1));

  // ---- in-projection: q = query W_qᵀ + b_q, and so on
  const int64_t E = embed_dim_, H = num_heads_, hd = head_dim_;
  auto bias_part = [&](int64_t i) { return bias_ ? in_proj_bias.narrow(0, i * E, E) : Variable(); };
  Variable q, k, v;
  if (same_dims_ && query.same(key) && key.same(value)) {
    // Self-attention: one GEMM against the whole [3E, E] weight, then views of its three column blocks.
    Variable qkv = project(q_in, in_proj_weight, bias_ ? in_proj_bias : Variable());  // [.., 3E]
    q = qkv.narrow(-1, 0, E);
    k = qkv.narrow(-1, E, E);
    v = qkv.narrow(-1, 2 * E, E);
  } else if (same_dims_) {
    q = project(q_in, in_proj_weight.narrow(0, 0, E), bias_part(0));
    k = project(k_in, in_proj_weight.narrow(0, E, E), bias_part(1));
    v = project(v_in, in_proj_weight.narrow(0, 2 * E, E), bias_part(2));
  } else {
    q = project(q_in, q_proj_weight, bias_part(0));
    k = project(k_in, k_proj_weight, bias_part(1));
    v = project(v_in, v_proj_weight, bias_part(2));
  }

  // ---- split into heads: [B, T, E] -> [B, T, H, hd] -> [B, H, T, hd] (a reshape, then a transposed view)
  auto heads = [&](const Variable& x, int64_t T) { return x.reshape({B, T, H, hd}).transpose(1, 2); };

  // ---- masks, brought to shapes that broadcast against the scores [B, H, Tq, Tk]
  Tensor kpm = options.key_padding_mask, am = options.attn_mask;
  if (kpm.defined()) {
    const Shape want = batched ? Shape{B, Tk} : Shape{Tk};
    check(kpm.shape() == want, "{}: key_padding_mask has shape {}, expected {} ({}: one flag per key{}, 1 = padding)",
          kOp, kpm.shape(), want, batched ? "[B, Tk]" : "[Tk]", batched ? " of each batch entry" : "");
    kpm = kpm.reshape({B, 1, 1, Tk});
  }
  if (am.defined()) {
    const int64_t n = batched ? B * H : H;
    check((am.dim() == 2 && am.size(0) == Tq && am.size(1) == Tk) ||
              (am.dim() == 3 && am.size(0) == n && am.size(1) == Tq && am.size(2) == Tk),
          "{}: attn_mask has shape {}, expected [Tq, Tk] = [{}, {}] or [{}, Tq, Tk] = [{}, {}, {}] (one mask per "
          "batch entry and head, {})", kOp, am.shape(), Tq, Tk, batched ? "B * num_heads" : "num_heads", n, Tq, Tk,
          batched ? "batch-major: entry b, head h is row b * num_heads + h" : "one per head");
    if (am.dim() == 3) am = am.reshape({B, H, Tq, Tk});
  }
  Tensor mask = merge_masks(kpm, am, query.dtype());

  // ---- attention per head: [B, H, Tq, hd], weights [B, H, Tq, Tk]
  // Without need_weights the heads run flash attention (no [B, H, Tq, Tk] matrix; nn/attention.h).
  SdpaOptions sdpa{.attn_mask = mask, .dropout_p = dropout_, .is_causal = options.is_causal,
                   .training = is_training(), .need_weights = options.need_weights};
  auto [context, weights] = scaled_dot_product_attention(heads(q, Tq), heads(k, Tk), heads(v, Tk), sdpa);

  // ---- merge the heads ([B, H, Tq, hd] -> [B, Tq, H, hd] -> [B, Tq, E]) and project out
  Variable output = out_proj.forward(context.transpose(1, 2).reshape({B, Tq, E}));
  if (options.need_weights && options.average_attn_weights) weights = mean(weights, {1});  // over heads: [B, Tq, Tk]

  // ---- on exit, back to the caller's layout: [B, Tq, E] stays, [Tq, B, E] is a transposed view (as in PyTorch,
  //      which transposes for batch_first instead), unbatched drops the batch dim (from the weights too).
  if (!batched) {
    output = output.squeeze(0);
    if (options.need_weights) weights = weights.squeeze(0);
  } else if (!batch_first_) {
    output = output.transpose(0, 1);
  }
  if (!options.need_weights) return {output, Variable()};
  return {output, weights};
}

std::string MultiheadAttention::extra_repr() const {
  std::string s = fmt::format("embed_dim={}, num_heads={}", embed_dim_, num_heads_);
  if (!same_dims_) s += fmt::format(", kdim={}, vdim={}", kdim_, vdim_);
  if (dropout_ > 0.0) s += fmt::format(", dropout={}", dropout_);
  if (!bias_) s += ", bias=False";
  if (batch_first_) s += ", batch_first=True";
  return s;
}

}  // namespace glimpse::nn
