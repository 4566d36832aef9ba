// models::Transformer: the encoder-decoder of "Attention Is All You Need" (Vaswani et al. 2017), small, for the
// sequence-to-sequence tasks of examples/seq2seq (the same calls as models::Seq2Seq: loss, greedy, beam_search).
//
//   source  x = Embedding(src) · √d_model + PE[0..S)          sinusoidal positions, then dropout
//   encoder layers × N:  x = LN(x + SelfAttn(x, source padding masked)),  x = LN(x + FF(x))      (post-norm, the paper)
//   decoder layers × N:  y = LN(y + CausalSelfAttn(y)),  y = LN(y + CrossAttn(y, encoder output)),  y = LN(y + FF(y))
//   output  logits = y W_outᵀ + b, W_out tied to the target embedding (option)
// pre_norm moves each LayerNorm in front of its branch (x + Attn(LN(x))) and adds a final LayerNorm to each stack;
// it trains without the warm-up the post-norm model needs. FF(x) = W2 ReLU(W1 x + b1) + b2. Attention is
// nn::MultiheadAttention (PyTorch's parameter names, so layers read like nn.TransformerEncoderLayer's).
//
//   models::Transformer model({.src_vocab = 4000, .tgt_vocab = 6000, .d_model = 128, .heads = 4, .layers = 3});
//   Variable loss = model.loss(src, src_lengths, tgt_in, tgt_out, 0.1);     // label smoothing 0.1, <pad> ignored
//   std::vector<models::Hypothesis> hyps = model.greedy(src, src_lengths, {.max_len = 20});
//   std::vector<models::Hypothesis> best = model.beam_search(src, src_lengths, {.beam_size = 5});
//
// Decoding is incremental: the encoder runs once, each decoder layer's cross-attention keys and values are projected
// once per sentence, and its self-attention keys and values are cached, so a step costs one position, not the prefix.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/seq2seq.h"  // Hypothesis, GreedyOptions, BeamOptions
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module_list.h"
#include "nn/multihead_attention.h"

namespace glimpse::models {

struct TransformerOptions {
  int64_t src_vocab = 0, tgt_vocab = 0;  // <pad> = 0, <bos> = 1, <eos> = 2 (data::Vocab)
  int64_t d_model = 128;
  int64_t heads = 4;        // d_model must be a multiple of it
  int64_t layers = 3;       // encoder layers, and as many decoder layers
  int64_t ff = 512;         // the feed-forward's inner size
  double dropout = 0.1;     // after the embeddings, on the attention weights, on each branch's output (training only)
  bool pre_norm = false;    // false: the paper's post-norm
  bool tie_embeddings = true;  // the output layer's weight IS the target embedding
  int64_t max_positions = 512;  // rows of the sinusoidal table (longest source or target)
};

// PE[pos, 2i] = sin(pos / 10000^(2i / d)), PE[pos, 2i + 1] = cos(pos / 10000^(2i / d)) -> [positions, d] float32
Tensor sinusoidal_positions(int64_t positions, int64_t d);

// What the decoder keeps between steps: per layer, the self-attention keys and values of the positions emitted so far
// ([B, H, max_len, d_head], `length` filled) and the cross-attention keys and values of the encoder output
// ([B, H, S, d_head], projected once), plus the source padding [B, 1, 1, S] (1 = masked).
struct TransformerCache {
  std::vector<Tensor> self_k, self_v, cross_k, cross_v;
  Tensor padding;
  int64_t length = 0;
};

class TransformerEncoderLayer : public nn::Module {
 public:
  explicit TransformerEncoderLayer(const TransformerOptions& o);
  // x: [B, S, E], padding: [B, S] int64 (1 = pad) -> [B, S, E]; `weights` gets the self-attention [B, H, S, S]
  Variable forward(const Variable& x, const Tensor& padding, Tensor* weights = nullptr) const;

  nn::MultiheadAttention self_attn;
  nn::Linear linear1, linear2;
  nn::LayerNorm norm1, norm2;
  double dropout;
  bool pre_norm;
};

class TransformerDecoderLayer : public nn::Module {
 public:
  explicit TransformerDecoderLayer(const TransformerOptions& o);
  // y: [B, T, E], memory: [B, S, E], padding: [B, S] -> [B, T, E]; self_w [B, H, T, T], cross_w [B, H, T, S]
  Variable forward(const Variable& y, const Variable& memory, const Tensor& padding, Tensor* self_w = nullptr,
                   Tensor* cross_w = nullptr) const;
  // One position (no gradient): y: [B, 1, E] at position cache.length -> [B, 1, E]; appends its keys and values to
  // layer `layer` of the cache; cross_w gets [B, H, 1, S].
  Tensor step(const Tensor& y, TransformerCache& cache, size_t layer, Tensor* cross_w = nullptr) const;
  // memory: [B, S, E] -> the cross-attention keys and values [B, H, S, d_head] (once per sentence)
  std::pair<Tensor, Tensor> cross_keys_values(const Tensor& memory) const;

  nn::MultiheadAttention self_attn, multihead_attn;
  nn::Linear linear1, linear2;
  nn::LayerNorm norm1, norm2, norm3;
  double dropout;
  bool pre_norm;

 private:
  Variable feed_forward(const Variable& x, bool training) const;
};

class Transformer : public nn::Module {
 public:
  explicit Transformer(const TransformerOptions& options);

  struct Encoded {
    Variable memory;               // [B, S, E]
    Tensor padding;                // [B, S] int64, 1 at padding
    std::vector<int64_t> lengths;  // B source lengths
  };
  // src: [B, S] int64, lengths in [1, S] -> Encoded; `attention` gets each encoder layer's [B, H, S, S]
  Encoded encode(const Tensor& src, const std::vector<int64_t>& lengths, std::vector<Tensor>* attention = nullptr) const;
  // tgt_in: [B, T] int64 (<bos> y_1 ...) -> logits [B, T, tgt_vocab] (teacher forcing, all positions at once);
  // `cross` gets each decoder layer's cross-attention [B, H, T, S]
  Variable decode(const Encoded& enc, const Tensor& tgt_in, std::vector<Tensor>* cross = nullptr) const;
  // Mean cross-entropy over the non-<pad> targets of tgt_out [B, T], with label smoothing eps -> []
  Variable loss(const Tensor& src, const std::vector<int64_t>& src_lengths, const Tensor& tgt_in, const Tensor& tgt_out,
                double label_smoothing = 0.0) const;

  // The decoder's cache for enc, room for max_len positions.
  TransformerCache make_cache(const Encoded& enc, int64_t max_len) const;
  // ids: [B] int64, the tokens at position cache.length -> log-probabilities [B, tgt_vocab] (float32) of the next
  // token; `weights` gets the last layer's cross-attention averaged over heads [B, S]. No gradient.
  Tensor step(const Tensor& ids, TransformerCache& cache, Tensor* weights = nullptr) const;

  // Batched decoding (no gradients), as Seq2Seq's; each token's weights are the last decoder layer's cross-attention
  // averaged over heads. use_cache = false re-runs the decoder over the whole prefix at every step (for tests).
  std::vector<Hypothesis> greedy(const Tensor& src, const std::vector<int64_t>& lengths,
                                 const GreedyOptions& options = {}, bool use_cache = true) const;
  std::vector<Hypothesis> beam_search(const Tensor& src, const std::vector<int64_t>& lengths,
                                      const BeamOptions& options = {}) const;

  std::string extra_repr() const override;

  TransformerOptions options;
  nn::Embedding src_embedding, tgt_embedding;
  nn::ModuleList<TransformerEncoderLayer> encoder;
  nn::ModuleList<TransformerDecoderLayer> decoder;
  nn::LayerNorm encoder_norm, decoder_norm;  // used with pre_norm only
  nn::Linear out;

 private:
  // ids: [B, T] starting at position `start` -> [B, T, E] (scaled embedding + positions, dropout when training)
  Variable embed(const nn::Embedding& table, const Tensor& ids, int64_t start, bool training) const;
  Tensor positions_;  // [max_positions, d_model] float32
};

}  // namespace glimpse::models
