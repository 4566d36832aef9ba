// models::Transformer: positions, embeddings, the encoder and decoder stacks, the loss and the incremental decoder
// step (the layers are in transformer_layers.cpp, greedy and beam search in transformer_search.cpp).
#include "models/transformer.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_loss.h"
#include "nn/attention.h"
#include "nn/init.h"
#include "tensor/reduce.h"

namespace glimpse::models {
namespace {

const TransformerOptions& checked(const TransformerOptions& o) {
  check(o.src_vocab > 3 && o.tgt_vocab > 3, "Transformer: src_vocab ({}) and tgt_vocab ({}) must hold <pad>, <bos>, "
        "<eos> and at least one word", o.src_vocab, o.tgt_vocab);
  check(o.d_model > 0 && o.heads > 0 && o.layers > 0 && o.ff > 0 && o.max_positions > 0,
        "Transformer: d_model ({}), heads ({}), layers ({}), ff ({}) and max_positions ({}) must be positive",
        o.d_model, o.heads, o.layers, o.ff, o.max_positions);
  check(o.d_model % o.heads == 0 && o.d_model % 2 == 0, "Transformer: d_model = {} must be even and a multiple of "
        "heads = {} (each head gets d_model / heads features); try d_model = {}", o.d_model, o.heads,
        ((o.d_model / o.heads + 1) / 2 * 2 + 2) * o.heads);
  check(o.dropout >= 0.0 && o.dropout < 1.0, "Transformer: dropout must be in [0, 1), got {}", o.dropout);
  return o;
}

}  // namespace

// -> [positions, d]
Tensor sinusoidal_positions(int64_t positions, int64_t d) {
  check(positions > 0 && d > 0 && d % 2 == 0, "sinusoidal_positions: positions ({}) must be positive and d ({}) "
        "positive and even (sin and cos come in pairs)", positions, d);
  std::vector<float> pe(static_cast<size_t>(positions * d));
  for (int64_t pos = 0; pos < positions; ++pos) {
    for (int64_t i = 0; i < d / 2; ++i) {
      // Wavelengths from 2π to 10000·2π, a geometric progression: every offset k is a rotation of each (sin, cos)
      // pair, so attention can learn relative positions.
      const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * static_cast<double>(i) / d);
      pe[static_cast<size_t>(pos * d + 2 * i)] = static_cast<float>(std::sin(angle));
      pe[static_cast<size_t>(pos * d + 2 * i + 1)] = static_cast<float>(std::cos(angle));
    }
  }
  return tensor(pe, {positions, d});
}

Transformer::Transformer(const TransformerOptions& o)
    : Module("Transformer"),
      options(checked(o)),
      src_embedding(o.src_vocab, o.d_model),
      tgt_embedding(o.tgt_vocab, o.d_model),
      encoder_norm({o.d_model}),
      decoder_norm({o.d_model}),
      out(o.d_model, o.tgt_vocab),
      positions_(sinusoidal_positions(o.max_positions, o.d_model)) {
  register_module("src_embedding", src_embedding);
  register_module("tgt_embedding", tgt_embedding);
  register_module("encoder", encoder);
  register_module("decoder", decoder);
  for (int64_t i = 0; i < o.layers; ++i) {
    encoder.push_back(std::make_unique<TransformerEncoderLayer>(o));
    decoder.push_back(std::make_unique<TransformerDecoderLayer>(o));
  }
  if (o.pre_norm) {  // the stacks' outputs are un-normalised sums of branches: normalise them once at the end
    register_module("encoder_norm", encoder_norm);
    register_module("decoder_norm", decoder_norm);
  }
  register_module("out", out);
  // Embeddings ~ N(0, d^-1/2): after the √d scale they have unit variance, like the positions, and tied to the output
  // layer they give logits of unit scale at the start (N(0, 1) embeddings would make them √d times too large).
  nn::init::normal_(src_embedding.weight, 0.0, 1.0 / std::sqrt(static_cast<double>(o.d_model)));
  nn::init::normal_(tgt_embedding.weight, 0.0, 1.0 / std::sqrt(static_cast<double>(o.d_model)));
  nn::init::xavier_uniform_(out.weight);
  if (o.tie_embeddings) out.weight = out.tie_parameter("weight", tgt_embedding.weight);
}

// ids: [B, T] -> [B, T, E]
Variable Transformer::embed(const nn::Embedding& table, const Tensor& ids, int64_t start, bool training) const {
  const int64_t T = ids.size(1);
  check(start + T <= options.max_positions, "Transformer: position {} is beyond max_positions = {}; build the model "
        "with a larger max_positions or give shorter sentences", start + T - 1, options.max_positions);
  Variable x = table.forward(ids) * std::sqrt(static_cast<double>(options.d_model));
  x = x + Variable(positions_.narrow(0, start, T).to(x.dtype()));  // [T, E] broadcast over the batch
  return training && options.dropout > 0.0 ? dropout(x, options.dropout, true) : x;
}

// src: [B, S] -> memory [B, S, E]
Transformer::Encoded Transformer::encode(const Tensor& src, const std::vector<int64_t>& lengths,
                                         std::vector<Tensor>* attention) const {
  check(src.defined() && src.dtype() == kInt64 && src.dim() == 2 && src.size(0) >= 1 && src.size(1) >= 1,
        "Transformer.encode: src must be an int64 tensor [B, S] of token ids, got {}",
        src.defined() ? fmt::format("{} {}", src.shape(), dtype_name(src.dtype())) : "undefined");
  check(static_cast<int64_t>(lengths.size()) == src.size(0), "Transformer.encode: {} lengths for a batch of {}",
        lengths.size(), src.size(0));
  for (int64_t len : lengths) {
    check(len >= 1 && len <= src.size(1), "Transformer.encode: a source length {} is outside [1, S = {}]", len,
          src.size(1));
  }
  Encoded enc{Variable(), nn::padding_mask_from_lengths(lengths, src.size(1)), lengths};
  Variable x = embed(src_embedding, src, 0, is_training());
  if (attention != nullptr) attention->assign(encoder.size(), Tensor());
  for (size_t i = 0; i < encoder.size(); ++i) {
    x = encoder[i].forward(x, enc.padding, attention != nullptr ? &(*attention)[i] : nullptr);
  }
  enc.memory = options.pre_norm ? encoder_norm.forward(x) : x;
  return enc;
}

// tgt_in: [B, T] -> [B, T, V]
Variable Transformer::decode(const Encoded& enc, const Tensor& tgt_in, std::vector<Tensor>* cross) const {
  check(tgt_in.defined() && tgt_in.dtype() == kInt64 && tgt_in.dim() == 2 && tgt_in.size(0) == enc.memory.size(0),
        "Transformer.decode: tgt_in must be int64 [B, T] with the source's batch size {}", enc.memory.size(0));
  Variable y = embed(tgt_embedding, tgt_in, 0, is_training());
  if (cross != nullptr) cross->assign(decoder.size(), Tensor());
  for (size_t i = 0; i < decoder.size(); ++i) {
    y = decoder[i].forward(y, enc.memory, enc.padding, nullptr, cross != nullptr ? &(*cross)[i] : nullptr);
  }
  if (options.pre_norm) y = decoder_norm.forward(y);
  return out.forward(y);
}

// -> []
Variable Transformer::loss(const Tensor& src, const std::vector<int64_t>& src_lengths, const Tensor& tgt_in,
                           const Tensor& tgt_out, double label_smoothing) const {
  check(tgt_out.defined() && tgt_out.dim() == 2 && tgt_in.defined() && tgt_out.shape() == tgt_in.shape(),
        "Transformer.loss: tgt_in and tgt_out must both be [B, T] int64");
  Variable logits = decode(encode(src, src_lengths), tgt_in);
  return cross_entropy(logits.view({-1, options.tgt_vocab}), tgt_out.reshape({-1}),
                       {.ignore_index = 0, .label_smoothing = label_smoothing});  // <pad> = 0 is ignored
}

TransformerCache Transformer::make_cache(const Encoded& enc, int64_t max_len) const {
  check(max_len >= 1 && max_len <= options.max_positions, "Transformer: decoding max_len = {} must be in [1, "
        "max_positions = {}]; build the model with a larger max_positions or decode shorter", max_len,
        options.max_positions);
  const Tensor memory = enc.memory.data();
  const int64_t B = memory.size(0), S = memory.size(1), H = options.heads;
  TransformerCache cache;
  for (const TransformerDecoderLayer& layer : decoder) {
    cache.self_k.push_back(zeros({B, H, max_len, options.d_model / H}, memory.dtype()));
    cache.self_v.push_back(zeros({B, H, max_len, options.d_model / H}, memory.dtype()));
    auto [k, v] = layer.cross_keys_values(memory);
    cache.cross_k.push_back(k);
    cache.cross_v.push_back(v);
  }
  cache.padding = enc.padding.reshape({B, 1, 1, S});  // [B, heads, query, key]
  return cache;
}

// ids: [B] -> [B, V] log-probabilities
Tensor Transformer::step(const Tensor& ids, TransformerCache& cache, Tensor* weights) const {
  NoGradGuard no_grad;
  const int64_t B = ids.size(0);
  Tensor y = embed(tgt_embedding, ids.reshape({B, 1}), cache.length, false).data();
  Tensor w;
  for (size_t i = 0; i < decoder.size(); ++i) y = decoder[i].step(y, cache, i, i + 1 == decoder.size() ? &w : nullptr);
  ++cache.length;
  Variable h(y);
  if (options.pre_norm) h = decoder_norm.forward(h);
  if (weights != nullptr) *weights = mean(w.to(kFloat32), {1}).reshape({B, -1});  // [B, H, 1, S] -> [B, S]
  return log_softmax(out.forward(h).data().reshape({B, options.tgt_vocab}).to(kFloat32), 1);
}

std::string Transformer::extra_repr() const {
  return fmt::format("d_model={}, heads={}, layers={}, ff={}, dropout={}, {}, tie_embeddings={}", options.d_model,
                     options.heads, options.layers, options.ff, options.dropout,
                     options.pre_norm ? "pre_norm" : "post_norm", options.tie_embeddings ? "True" : "False");
}

}  // namespace glimpse::models
